//! Storage of organisations and users, always within the caller's county.
use chrono::Utc;
use entity::{organisation, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Select, Set,
};

use super::{check_new_password, check_parent, OrgKind, Role, Username};
use crate::platform::audit::Entry;
use crate::platform::auth::{end_sessions_of, hash_password_blocking, Caller};
use crate::platform::db::{begin_write, by_id_in_county, in_county};
use crate::platform::error::{AppError, AppResult};

/// Display names of the county's users by id: who did what, on pages and in answers.
pub async fn user_names(db: &impl sea_orm::ConnectionTrait, county_id: i64) -> AppResult<std::collections::HashMap<i64, String>> {
    Ok(in_county::<user::Entity>(county_id).all(db).await?.into_iter().map(|u| (u.id, u.display_name)).collect())
}

pub async fn list_orgs(db: &DatabaseConnection, county_id: i64) -> AppResult<Vec<organisation::Model>> {
    let mut orgs = in_county::<organisation::Entity>(county_id)
        .order_by_asc(organisation::Column::Id)
        .all(db)
        .await?;
    // Tree order: the county first, then bodies by kind, communities last.
    let rank = |o: &organisation::Model| {
        OrgKind::parse(&o.kind).and_then(|k| OrgKind::ALL.iter().position(|x| *x == k)).unwrap_or(99)
    };
    orgs.sort_by_key(|o| (rank(o), o.id));
    Ok(orgs)
}

pub async fn find_org(db: &DatabaseConnection, county_id: i64, id: i64) -> AppResult<organisation::Model> {
    in_county::<organisation::Entity>(county_id)
        .filter(organisation::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

pub struct NewOrg {
    pub parent_id: Option<i64>,
    pub kind: OrgKind,
    pub name: String,
}

pub async fn create_org(db: &DatabaseConnection, caller: &Caller, new: NewOrg) -> AppResult<organisation::Model> {
    let county_id = caller.county_id;
    let name = new.name.trim().to_string();
    if name.is_empty() {
        return Err(AppError::invalid("name", "请填写组织名称"));
    }
    if new.kind == OrgKind::County {
        return Err(AppError::invalid("kind", "区/县只能在系统初始化时创建"));
    }
    let parent_kind = match new.parent_id {
        Some(pid) => {
            let p = find_org(db, county_id, pid)
                .await
                .map_err(|_| AppError::invalid("parent_id", "上级组织不存在"))?;
            OrgKind::parse(&p.kind)
        }
        None => None,
    };
    check_parent(new.kind, parent_kind).map_err(|m| AppError::invalid("parent_id", m))?;
    let txn = begin_write(db).await?;
    let org = insert_org(&txn, county_id, new.parent_id, new.kind, &name).await?;
    txn.commit(vec![Entry::by(caller, "organisation.create", "organisation", org.id).after(&org)]).await?;
    Ok(org)
}

/// Inserts one organisation; the name must be unique in the county.
pub async fn insert_org(
    db: &impl ConnectionTrait,
    county_id: i64,
    parent_id: Option<i64>,
    kind: OrgKind,
    name: &str,
) -> AppResult<organisation::Model> {
    let taken = in_county::<organisation::Entity>(county_id)
        .filter(organisation::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some();
    if taken {
        return Err(AppError::conflict("ORG_NAME_TAKEN", format!("本区/县已有名为“{name}”的组织")));
    }
    Ok(organisation::ActiveModel {
        county_id: Set(county_id),
        parent_id: Set(parent_id),
        kind: Set(kind.as_str().to_string()),
        name: Set(name.to_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The users a caller may see: their county, and only their own organisation unless
/// their role sees the whole county.
fn visible_users(caller: &Caller) -> Select<user::Entity> {
    let q = in_county::<user::Entity>(caller.county_id);
    if caller.role.sees_whole_county() {
        q
    } else {
        q.filter(user::Column::OrgId.eq(caller.org_id))
    }
}

pub async fn users_of_org(db: &DatabaseConnection, caller: &Caller, org_id: i64) -> AppResult<Vec<user::Model>> {
    let org = find_org(db, caller.county_id, org_id).await?;
    if !caller.role.sees_whole_county() && org.id != caller.org_id {
        return Err(AppError::not_found());
    }
    Ok(visible_users(caller)
        .filter(user::Column::OrgId.eq(org.id))
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?)
}

pub async fn all_users(db: &DatabaseConnection, caller: &Caller) -> AppResult<Vec<user::Model>> {
    Ok(visible_users(caller).order_by_asc(user::Column::Id).all(db).await?)
}

/// The caller's own account (at home, also while looking into a county below).
pub async fn own_account(db: &impl ConnectionTrait, caller: &Caller) -> AppResult<user::Model> {
    by_id_in_county::<user::Entity>(caller.home_county_id, caller.user_id).one(db).await?.ok_or_else(AppError::not_found)
}

pub async fn find_user(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> AppResult<user::Model> {
    visible_users(caller)
        .filter(user::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

pub struct NewUser {
    pub org_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
}

/// Checks that a role may sit in an organisation of the county.
async fn check_placement(
    db: &impl ConnectionTrait,
    county_id: i64,
    org_id: i64,
    role: Role,
) -> AppResult<organisation::Model> {
    let org = in_county::<organisation::Entity>(county_id)
        .filter(organisation::Column::Id.eq(org_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::invalid("org_id", "所属组织不存在"))?;
    let kind = OrgKind::parse(&org.kind).ok_or_else(|| AppError::internal("unknown org kind"))?;
    if !role.fits(kind) {
        return Err(AppError::invalid(
            "role",
            format!("“{}”角色不能设在{}（{}）", role.label(), org.name, kind.label()),
        ));
    }
    Ok(org)
}

pub async fn create_user(db: &DatabaseConnection, caller: &Caller, new: NewUser) -> AppResult<user::Model> {
    let username = Username::parse(&new.username).map_err(|m| AppError::invalid("username", m))?;
    check_new_password(&new.password).map_err(|m| AppError::invalid("password", m))?;
    let hash = hash_password_blocking(new.password.clone()).await?;
    let txn = begin_write(db).await?;
    let u = insert_user(&txn, caller.county_id, new.org_id, &username, &new.display_name, new.role, &hash).await?;
    txn.commit(vec![Entry::by(caller, "user.create", "user", u.id).after(&u)]).await?;
    Ok(u)
}

/// Inserts a user with an already hashed password; usernames are unique system-wide
/// because they are what people type at the login screen.
pub async fn insert_user(
    db: &impl ConnectionTrait,
    county_id: i64,
    org_id: i64,
    username: &Username,
    display_name: &str,
    role: Role,
    password_hash: &str,
) -> AppResult<user::Model> {
    let display_name = display_name.trim();
    if display_name.is_empty() {
        return Err(AppError::invalid("display_name", "请填写姓名"));
    }
    check_placement(db, county_id, org_id, role).await?;
    let taken = user::Entity::find()
        .filter(user::Column::Username.eq(username.as_str()))
        .one(db)
        .await?
        .is_some();
    if taken {
        return Err(AppError::conflict("USERNAME_TAKEN", format!("用户名“{}”已被使用", username.as_str())));
    }
    Ok(user::ActiveModel {
        county_id: Set(county_id),
        org_id: Set(org_id),
        username: Set(username.as_str().to_string()),
        display_name: Set(display_name.to_string()),
        role: Set(role.as_str().to_string()),
        password_hash: Set(password_hash.to_string()),
        active: Set(true),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

#[derive(Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub org_id: Option<i64>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// An admin's change to a user. An admin cannot disable or demote themself, so a county
/// is never left without anyone able to manage it.
/// A password reset also ends the account's login locks.
pub async fn update_user(db: &DatabaseConnection, throttle: &crate::platform::auth::Throttle, caller: &Caller, id: i64, ch: UserChange) -> AppResult<user::Model> {
    let new_hash = match &ch.password {
        Some(p) => {
            check_new_password(p).map_err(|m| AppError::invalid("password", m))?;
            Some(hash_password_blocking(p.clone()).await?)
        }
        None => None,
    };
    let txn = begin_write(db).await?;
    let u = find_user(&txn, caller, id).await?;
    let before = u.clone();
    if u.id == caller.user_id
        && (ch.active == Some(false) || ch.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(AppError::conflict("CANNOT_CHANGE_SELF", "不能停用自己的账号或取消自己的管理员角色"));
    }
    let role = ch.role.unwrap_or_else(|| Role::parse(&u.role).unwrap_or(Role::Community));
    let org_id = ch.org_id.unwrap_or(u.org_id);
    if ch.role.is_some() || ch.org_id.is_some() {
        check_placement(&txn, caller.county_id, org_id, role).await?;
    }
    let mut end_sessions = false;
    let mut am: user::ActiveModel = u.into();
    if let Some(name) = ch.display_name {
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(AppError::invalid("display_name", "请填写姓名"));
        }
        am.display_name = Set(name);
    }
    am.role = Set(role.as_str().to_string());
    am.org_id = Set(org_id);
    if let Some(active) = ch.active {
        am.active = Set(active);
        end_sessions |= !active;
    }
    let password_reset = new_hash.is_some();
    if let Some(h) = new_hash {
        am.password_hash = Set(h);
        am.failed_logins = Set(0);
        am.locked_until = Set(None);
        end_sessions = true;
    }
    let u = am.update(&txn).await?;
    if end_sessions {
        end_sessions_of(&txn, u.id).await?;
    }
    let mut after = serde_json::to_value(&u).unwrap_or_default();
    if password_reset {
        after["password_reset"] = true.into(); // that it happened; never the password or its hash
    }
    txn.commit(vec![Entry::by(caller, "user.update", "user", u.id).before(&before).after(after)]).await?;
    if password_reset {
        throttle.clear_account(&u.username);
    }
    Ok(u)
}

/// A user changing their own password; every other session of theirs ends.
pub async fn change_own_password(db: &DatabaseConnection, throttle: &crate::platform::auth::Throttle, caller: &Caller, current: &str, new: &str) -> AppResult<()> {
    // The account lives at home, also while the session looks into a county below.
    let home = Caller { county_id: caller.home_county_id, ..caller.clone() };
    let caller = &home;
    let u = by_id_in_county::<user::Entity>(caller.county_id, caller.user_id).one(db).await?.ok_or_else(AppError::not_found)?;
    // Guessing the current password from a stolen session is limited like a login.
    let addr = crate::platform::audit::client_addr().unwrap_or_else(|| "local".into());
    let key = format!("password-change:{}", u.username);
    let Ok(attempt) = throttle.attempt(&key, &addr).await else {
        return Err(AppError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, "LOGIN_LOCKED", "当前密码错误次数过多，请稍后再试"));
    };
    let right = crate::platform::auth::verify_password_blocking(current.to_string(), u.password_hash.clone()).await?;
    attempt.finish(!right);
    if !right {
        crate::platform::audit::record(db, vec![Entry::by(caller, "user.change_own_password_failed", "user", caller.user_id)]).await?;
        return Err(AppError::invalid("current_password", "当前密码不正确"));
    }
    check_new_password(new).map_err(|m| AppError::invalid("new_password", m))?;
    let hash = hash_password_blocking(new.to_string()).await?;
    let txn = begin_write(db).await?;
    let mut am: user::ActiveModel = u.into();
    am.password_hash = Set(hash);
    am.update(&txn).await?;
    crate::platform::auth::end_sessions_of_except(&txn, caller.user_id, caller.session_id).await?;
    txn.commit(vec![Entry::by(caller, "user.change_own_password", "user", caller.user_id)]).await
}

/// Creates a county with its root organisation and first admin: how a new deployment
/// (or the demo) starts. All or nothing.
pub async fn create_county(
    db: &impl ConnectionTrait,
    name: &str,
    admin: &Username,
    admin_password_hash: &str,
) -> AppResult<(entity::county::Model, organisation::Model, user::Model)> {
    create_jurisdiction(db, name, crate::region::Level::County, None, admin, admin_password_hash).await
}

/// A county, city or province with its root organisation and first admin; `parent` is
/// the jurisdiction above it (of a higher level), if any.
pub async fn create_jurisdiction(
    db: &impl ConnectionTrait,
    name: &str,
    level: crate::region::Level,
    parent: Option<i64>,
    admin: &Username,
    admin_password_hash: &str,
) -> AppResult<(entity::county::Model, organisation::Model, user::Model)> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "请填写区/县名称"));
    }
    let exists = entity::county::Entity::find()
        .filter(entity::county::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Err(AppError::conflict("COUNTY_EXISTS", format!("区/县“{name}”已存在")));
    }
    if let Some(p) = parent {
        let above = crate::region::store::jurisdiction(db, p).await.map_err(|_| AppError::invalid("parent", "上级行政区不存在"))?;
        if !level.may_sit_under(crate::region::store::level_of(&above)) {
            return Err(AppError::invalid("parent", format!("{}级不能隶属于{}级的“{}”", level.label(), crate::region::store::level_of(&above).label(), above.name)));
        }
    }
    let county = entity::county::ActiveModel {
        name: Set(name.to_string()),
        emergency_approval_days: Set(crate::admission::DEFAULT_EMERGENCY_DAYS),
        parent_id: Set(parent),
        level: Set(level.as_str().into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let root = insert_org(db, county.id, None, OrgKind::County, name).await?;
    let admin = insert_user(db, county.id, root.id, admin, "系统管理员", Role::Admin, admin_password_hash).await?;
    Ok((county, root, admin))
}

/// The counties whose lists and contracts are public (a city has no public page of its own),
/// by name, for the links on the login page.
pub async fn public_counties(db: &impl ConnectionTrait) -> AppResult<Vec<(i64, String)>> {
    Ok(entity::county::Entity::find()
        .filter(entity::county::Column::Level.eq("county"))
        .order_by_asc(entity::county::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}
