//! The finance bureau's voucher number for a payment (凭证号, issue 29): the number of the
//! treasury payment order, so a payment here can be matched with the bank's record.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Disbursements {
    Table,
    Voucher,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Disbursements::Table).add_column(ColumnDef::new(Disbursements::Voucher).string_len(50).null()).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Disbursements::Table).drop_column(Disbursements::Voucher).to_owned()).await
    }
}
