//! Demo lists of 示范区, drawn from the seeds (the eight negative items of seed 001
//! §二(四) come from the baseline, `baseline.rs`): duty items of the residents' committee law, and assist items such as
//! 食品安全协管 and 人口监测 (seed 004, Yingjiang). Loaded by procedure: last year's
//! lists, then this year's review that adjusts one item and cancels another.
use chrono::{Datelike, Utc};

use super::store;
use super::{ChangeBasis, ItemFields, ListKind};
use crate::platform::auth::Caller;
use crate::platform::error::AppResult;

/// (kind, code, title, description, basis, department, category, keywords, professional, enforcement)
type Row = (ListKind, &'static str, &'static str, &'static str, &'static str, &'static str, &'static str, &'static str, bool, bool);

const ITEMS: &[Row] = &[
    (ListKind::Duty, "LZ-01", "组织村（居）民委员会换届选举", "依法组织居民委员会成员的推选和选举工作", "《中华人民共和国城市居民委员会组织法》第八条", "区民政局", "民主选举", "换届选举、居委会选举", false, false),
    (ListKind::Duty, "LZ-02", "召集居民会议、居民代表会议", "讨论决定涉及全体居民利益的重要问题", "《中华人民共和国城市居民委员会组织法》第九条、第十条", "区民政局", "民主协商", "居民会议、居民代表会议", false, false),
    (ListKind::Duty, "LZ-03", "居务公开和民主监督", "公开居务、财务，接受居民监督", "《中华人民共和国城市居民委员会组织法》第十条", "区民政局", "民主监督", "居务公开", false, false),
    (ListKind::Duty, "LZ-04", "调解民间纠纷", "设立人民调解委员会，调解居民之间的纠纷", "《中华人民共和国人民调解法》第八条", "区司法局", "人民调解", "民间纠纷、人民调解", false, false),
    (ListKind::Duty, "LZ-05", "办理本居住地区居民的公共事务和公益事业", "组织居民开展公益活动、互助服务", "《中华人民共和国城市居民委员会组织法》第三条", "区民政局", "公共事务", "公益事业、互助服务", false, false),
    (ListKind::Duty, "LZ-06", "向人民政府反映居民的意见、要求和建议", "收集并反映居民诉求", "《中华人民共和国城市居民委员会组织法》第三条", "区民政局", "诉求反映", "居民诉求、意见建议", false, false),
    (ListKind::Assist, "XB-01", "食品安全协管", "协助开展食品安全信息收集、隐患发现报告和宣传，不承担执法", "《中华人民共和国食品安全法》第七条；004 迎江区做法", "区市场监督管理局", "食品安全", "食品安全协管、食品安全宣传", false, false),
    (ListKind::Assist, "XB-02", "人口监测", "协助采集辖区出生、死亡、迁移等人口信息", "《中华人民共和国人口与计划生育法》；004 迎江区做法", "区卫生健康局", "人口监测", "人口监测、人口信息采集", false, false),
    (ListKind::Assist, "XB-03", "民宗信息联络", "协助收集、报送辖区民族宗教工作信息", "004 迎江区做法", "区民族宗教事务局", "民族宗教", "民宗信息、民族宗教信息", false, false),
    (ListKind::Assist, "XB-04", "社会救助政策宣传与申请受理辅助", "宣传低保、临时救助政策，协助群众提出申请", "《社会救助暂行办法》第十一条", "区民政局", "社会救助", "低保申请、临时救助", false, false),
    (ListKind::Assist, "XB-05", "统计调查入户协助", "协助开展人口普查等统计调查的入户登记", "《中华人民共和国统计法》第七条", "区统计局", "统计调查", "入户调查、人口普查", false, false),
    (ListKind::Assist, "XB-06", "协助开展爱国卫生检查评比", "协助组织辖区卫生检查和评比", "区爱卫办通知", "区卫生健康局", "卫生评比", "卫生检查评比", false, false),
];

fn fields(r: &Row) -> ItemFields {
    ItemFields {
        code: r.1.into(),
        title: r.2.into(),
        description: r.3.into(),
        basis: r.4.into(),
        department: r.5.into(),
        category: r.6.into(),
        keywords: super::split_keywords(r.7),
        needs_professional_qualification: r.8,
        needs_enforcement_authority: r.9,
        negative_reason: String::new(),
    }
}

/// Loads the lists as the reviewer `reviewer` would have made them.
pub async fn load(db: &(impl sea_orm::ConnectionTrait + sea_orm::TransactionTrait), reviewer: &Caller) -> AppResult<()> {
    let this_year = Utc::now().year();
    store::start_year(db, reviewer, this_year - 1).await?;
    let first = ChangeBasis {
        reason: "制定本区城乡社区三个清单".into(),
        document: format!("示范区城乡社区建设领导小组〔{}〕1号", this_year - 1),
    };
    // The negative items come with the year's lists, from the baseline above the county.
    for r in ITEMS {
        store::add_item(db, reviewer, r.0, fields(r), &first).await?;
    }
    // This year's annual review (004 Yingjiang: reviewed yearly, aiming at fewer items).
    store::start_year(db, reviewer, this_year).await?;
    let review = format!("示范区城乡社区建设领导小组〔{this_year}〕1号");
    let current = store::current_items(db, reviewer.county_id, None).await?;
    let by_code = |c: &str| current.iter().find(|i| i.code == c).expect("demo item").clone();
    let mut monitoring = store::fields_of(&by_code("XB-02"));
    monitoring.description = "协助采集辖区出生、死亡、迁移等人口信息，每月报送一次".into();
    store::adjust_item(
        db,
        reviewer,
        by_code("XB-02").id,
        monitoring,
        &ChangeBasis { reason: "明确报送频次，减少临时报表".into(), document: review.clone() },
    )
    .await?;
    store::cancel_item(
        db,
        reviewer,
        by_code("XB-06").id,
        &ChangeBasis { reason: "检查评比属考核事项，依据已废止，不再由社区协助（该退则退）".into(), document: review },
    )
    .await?;
    Ok(())
}
