//! The demo county of API.md, loaded by `zhunru serve --demo` into an empty database.
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

use crate::orgs::store::{create_county, insert_org, insert_user};
use crate::orgs::{OrgKind, Role, Username};
use crate::platform::auth::{hash_password, Caller};
use crate::platform::db::begin_write;
use crate::platform::error::{AppError, AppResult};

pub const DEMO_PASSWORD: &str = "zhunru-demo";
pub const DEMO_COUNTY: &str = "示范区";

/// (username, display name, role, organisation) of every demo user but `admin`.
pub const DEMO_USERS: &[(&str, &str, Role, &str)] = &[
    ("minzheng", "民政局审核员", Role::Reviewer, "区民政局"),
    ("lingdao", "领导小组审批人", Role::Approver, "区城乡社区建设领导小组"),
    ("caizheng", "财政局经办人", Role::Finance, "区财政局"),
    ("weijian", "卫健局经办人", Role::Department, "区卫生健康局"),
    ("shijian", "市场监管局经办人", Role::Department, "区市场监督管理局"),
    ("xingfu", "幸福社区书记", Role::Community, "幸福社区"),
    ("hexie", "和谐社区主任", Role::Community, "和谐社区"),
    ("ducha", "督查专员", Role::Supervisor, DEMO_COUNTY),
];

/// Loads the demo county if the database holds no county yet. Returns whether it did.
pub async fn load(db: &DatabaseConnection) -> AppResult<bool> {
    if entity::county::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    // One hash for all demo users: they share the published demo password anyway, and
    // hashing nine times would only slow down start-up and tests.
    let hash = hash_password(DEMO_PASSWORD);
    let txn = begin_write(db).await?;
    let admin = Username::parse("admin").map_err(AppError::internal)?;
    let (county, root, _) = create_county(&txn, DEMO_COUNTY, &admin, &hash).await?;
    let c = county.id;
    let mut ids = std::collections::HashMap::new();
    ids.insert(DEMO_COUNTY, root.id);
    for (name, kind) in [
        ("区民政局", OrgKind::CivilAffairs),
        ("区城乡社区建设领导小组", OrgKind::LeadingGroup),
        ("区财政局", OrgKind::Finance),
        ("区卫生健康局", OrgKind::Department),
        ("区市场监督管理局", OrgKind::Department),
        ("示范街道", OrgKind::Street),
    ] {
        ids.insert(name, insert_org(&txn, c, Some(root.id), kind, name).await?.id);
    }
    let street = ids["示范街道"];
    for name in ["幸福社区", "和谐社区"] {
        ids.insert(name, insert_org(&txn, c, Some(street), OrgKind::Community, name).await?.id);
    }
    for (username, display, role, org) in DEMO_USERS {
        let u = Username::parse(username).map_err(AppError::internal)?;
        insert_user(&txn, c, ids[org], &u, display, *role, &hash).await?;
    }
    let reviewer = entity::user::Entity::find()
        .filter(entity::user::Column::Username.eq("minzheng"))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal("demo reviewer missing"))?;
    let caller = Caller {
        user_id: reviewer.id,
        username: reviewer.username,
        display_name: reviewer.display_name,
        role: Role::Reviewer,
        org_id: reviewer.org_id,
        county_id: c,
        session_id: 0,
    };
    crate::lists::demo::load(&txn, &caller).await?;
    txn.commit().await?;
    tracing::info!("demo county {DEMO_COUNTY} loaded; every demo user's password is {DEMO_PASSWORD}");
    Ok(true)
}
