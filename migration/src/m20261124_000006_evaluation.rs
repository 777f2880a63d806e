//! Evaluations of contracts against their performance clauses, and objections to them.
use sea_orm_migration::prelude::*;

use crate::columns::{big, fk, id, text, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Evaluations {
    Table,
    Id,
    CountyId,
    ContractId,
    Evaluator,
    Overall,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EvaluationItems {
    Table,
    Id,
    CountyId,
    EvaluationId,
    ClauseId,
    Rating,
    Comment,
}

#[derive(DeriveIden)]
enum Objections {
    Table,
    Id,
    CountyId,
    EvaluationId,
    Text,
    CreatedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Evaluations::Table)
                .col(id(Evaluations::Id))
                .col(big(Evaluations::CountyId))
                .col(big(Evaluations::ContractId))
                .col(ColumnDef::new(Evaluations::Evaluator).string_len(16).not_null())
                .col(ColumnDef::new(Evaluations::Overall).string_len(32).not_null())
                .col(big(Evaluations::CreatedBy))
                .col(ts(Evaluations::CreatedAt))
                .foreign_key(&mut fk((Evaluations::Table, Evaluations::ContractId), (Contracts::Table, Contracts::Id)))
                .to_owned(),
        )
        .await?;
        // One evaluation per contract and evaluator (the department; residents' representatives).
        m.create_index(
            Index::create().name("ux_evaluations").table(Evaluations::Table).col(Evaluations::ContractId).col(Evaluations::Evaluator).unique().to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(EvaluationItems::Table)
                .col(id(EvaluationItems::Id))
                .col(big(EvaluationItems::CountyId))
                .col(big(EvaluationItems::EvaluationId))
                .col(big(EvaluationItems::ClauseId))
                .col(ColumnDef::new(EvaluationItems::Rating).string_len(32).not_null())
                .col(text(EvaluationItems::Comment))
                .foreign_key(&mut fk((EvaluationItems::Table, EvaluationItems::EvaluationId), (Evaluations::Table, Evaluations::Id)))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Objections::Table)
                .col(id(Objections::Id))
                .col(big(Objections::CountyId))
                .col(big(Objections::EvaluationId))
                .col(text(Objections::Text))
                .col(big(Objections::CreatedBy))
                .col(ts(Objections::CreatedAt))
                .foreign_key(&mut fk((Objections::Table, Objections::EvaluationId), (Evaluations::Table, Evaluations::Id)))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [Objections::Table.into_iden(), EvaluationItems::Table.into_iden(), Evaluations::Table.into_iden()] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
