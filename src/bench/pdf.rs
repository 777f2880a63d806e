//! The contract PDF: a typical three-page contract rendered repeatedly and, when
//! LibreOffice is installed, the same text through `soffice --headless --convert-to pdf`.
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};

use crate::contracts::api::{ClauseOut, ContractOut, MilestoneOut};
use crate::contracts::pdf::contract_doc;
use crate::contracts::spread;
use crate::contracts::store::Status;
use crate::money::Money;
use crate::pdf::{render, Block};

/// A monthly co-management contract of a year, with the clauses a county would write.
pub fn sample_contract() -> ContractOut {
    let amount = Money::from_yuan(36_000);
    let clause = |n: i32, title: &str, performance: bool, text: String| ClauseOut { id: n as i64, number: n, title: title.into(), text, performance };
    let long = "乙方在辖区内组织网格员开展入户走访，宣传食品安全知识，收集小餐饮、小作坊、食品摊贩的经营信息，发现无证经营、过期食品、卫生条件明显不符合要求等问题时，及时拍照记录并报告甲方，由甲方依法处理；乙方不承担行政执法、行政处罚、检验检测等职责。";
    let mut clauses = vec![
        clause(1, "服务事项", false, format!("甲方区市场监督管理局经示范区准入审批（批准文号：示范区准字〔2026〕7号），以政府购买服务方式委托乙方幸福社区承担“食品安全协管”工作，具体内容为：{long}")),
        clause(2, "服务期限", false, "服务期限自2026-01-01起至2026-12-31止。".into()),
        clause(3, "服务标准", true, format!("乙方每月开展入户或巡查不少于8次，覆盖辖区全部食品经营户。{long}")),
        clause(4, "信息报送", true, "乙方于每月5日前向甲方报送上月工作记录，包括走访户数、发现问题、报告时间和处理结果。".into()),
        clause(5, "宣传培训", true, format!("乙方每季度至少组织一次食品安全知识宣传活动。{long}")),
        clause(6, "服务经费", false, format!("服务经费总额为{}（¥{}），由甲方按月拨付至乙方账户，由乙方管理使用（费随事转）。", amount.capitals(), amount)),
        clause(7, "甲方责任", false, format!("甲方负责业务指导和培训，按约定及时足额拨付经费，不得将本合同以外的工作交由乙方办理。{long}")),
        clause(8, "乙方责任", false, format!("乙方按合同约定提供服务，经费专款专用，接受甲方和审计部门监督。{long}")),
        clause(9, "评价方式", false, "甲方仅依据本合同履约条款对乙方服务进行满意度评定，不以目标考核方式评价，不设“一票否决”。".into()),
        clause(10, "争议解决", false, format!("双方发生争议时协商解决；协商不成的，提请示范区城乡社区建设领导小组协调。{long}")),
    ];
    clauses.push(clause(11, "其他", false, "本合同一式三份，甲乙双方各执一份，示范区民政局备案一份，自双方签署之日起生效。".into()));
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let milestones = spread(amount, 12)
        .into_iter()
        .enumerate()
        .map(|(i, a)| MilestoneOut { id: i as i64 + 1, due: start + chrono::Months::new(i as u32 + 1) - chrono::Days::new(1), amount: a, clause_id: Some(4) })
        .collect();
    ContractOut {
        id: 1,
        number: "示范区购服〔2026〕7号".into(),
        admission_id: 1,
        origin: "application".into(),
        assist_item_id: None,
        task: "食品安全协管".into(),
        approval_number: Some("示范区准字〔2026〕7号".into()),
        template_id: "monthly-co-management".into(),
        department_id: 1,
        department: "区市场监督管理局".into(),
        community_id: 2,
        community: "幸福社区".into(),
        status: Status::Active,
        status_label: Status::Active.label(),
        version: 1,
        amount,
        amount_capitals: amount.capitals(),
        period_start: start,
        period_end: NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
        clauses,
        milestones,
        department_signed_at: Some(Utc::now()),
        community_signed_at: Some(Utc::now()),
        pending_amendment: None,
        versions: vec![],
        variables: Default::default(),
        termination_reason: None,
        termination_code: None,
        termination_reason_code: None,
        created_at: Utc::now(),
    }
}

/// Page objects in the PDF (`/Type/Page`, not `/Type/Pages`).
fn pages(pdf: &[u8]) -> usize {
    let s = String::from_utf8_lossy(pdf).replace("/Type /", "/Type/");
    s.matches("/Type/Page").count() - s.matches("/Type/Pages").count()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The contract's text as HTML, for LibreOffice to convert.
fn as_html(c: &ContractOut) -> String {
    let mut h = format!("<html><head><meta charset=\"utf-8\"></head><body><h1>政府购买服务合同</h1><p>合同编号：{}</p>", c.number);
    for b in &contract_doc(c).blocks {
        match b {
            Block::Heading(t) => h.push_str(&format!("<h3>{t}</h3>")),
            Block::Paragraph(t) => h.push_str(&format!("<p>{t}</p>")),
            Block::Fields(f) => f.iter().for_each(|(k, v)| h.push_str(&format!("<p>{k}：{v}</p>"))),
            Block::Table { header, rows, .. } => {
                h.push_str("<table border=\"1\">");
                for r in std::iter::once(header).chain(rows.iter()) {
                    h.push_str("<tr>");
                    r.iter().for_each(|c| h.push_str(&format!("<td>{c}</td>")));
                    h.push_str("</tr>");
                }
                h.push_str("</table>");
            }
            _ => {}
        }
    }
    h.push_str("</body></html>");
    h
}

/// Render time and size of ours, and of LibreOffice's when it is installed.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PdfFigures {
    pub pages: usize,
    pub bytes: usize,
    pub median_ms: f64,
    pub iterations: usize,
    pub soffice_median_ms: Option<f64>,
    pub soffice_bytes: Option<u64>,
}

pub fn run(iterations: usize) -> anyhow::Result<PdfFigures> {
    let c = sample_contract();
    let doc = contract_doc(&c);
    let first = render(&doc).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut times = Vec::new();
    for _ in 0..iterations {
        let t = Instant::now();
        let pdf = render(&doc).map_err(|e| anyhow::anyhow!("{e}"))?;
        times.push(t.elapsed());
        std::hint::black_box(pdf);
    }
    let mut out = PdfFigures { pages: pages(&first), bytes: first.len(), median_ms: median(times).as_secs_f64() * 1e3, iterations, ..Default::default() };
    let soffice = ["soffice", "libreoffice"].into_iter().find(|b| std::process::Command::new(b).arg("--version").output().is_ok());
    let Some(soffice) = soffice else {
        return Ok(out); // not installed (apt-get install libreoffice-writer-nogui): no baseline
    };
    let dir = tempfile_dir()?;
    let html = dir.join("contract.html");
    std::fs::write(&html, as_html(&c))?;
    let profile = format!("-env:UserInstallation=file://{}", dir.join("profile").display());
    let convert = || -> anyhow::Result<Duration> {
        let t = Instant::now();
        let out = std::process::Command::new(soffice)
            .args([profile.as_str(), "--headless", "--convert-to", "pdf", "--outdir"])
            .arg(&dir)
            .arg(&html)
            .output()?;
        anyhow::ensure!(out.status.success(), "soffice failed: {}", String::from_utf8_lossy(&out.stderr));
        Ok(t.elapsed())
    };
    convert()?; // the first start creates the profile; not counted
    let lo: Vec<Duration> = (0..3).map(|_| convert()).collect::<anyhow::Result<_>>()?;
    out.soffice_median_ms = Some(median(lo).as_secs_f64() * 1e3);
    out.soffice_bytes = std::fs::metadata(dir.join("contract.pdf")).map(|m| m.len()).ok();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("zhunru-bench-pdf-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typical_contract_is_three_pages_and_small() {
        let pdf = render(&contract_doc(&sample_contract())).unwrap();
        assert_eq!(pages(&pdf), 3);
        assert!(pdf.len() <= 150 * 1024, "{} bytes", pdf.len());
    }
}
