//! The contract as a document for the PDF machinery.
use axum::response::Response;

use super::api::ContractOut;
use crate::pdf::{Block, Doc, PdfError};
use crate::platform::error::{AppError, AppResult};

/// 1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (clause numbers).
pub fn chinese_number(n: u32) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n as usize].to_string(),
        10..=19 => format!("十{}", if n % 10 == 0 { "" } else { D[(n % 10) as usize] }),
        20..=99 => format!("{}十{}", D[(n / 10) as usize], if n % 10 == 0 { "" } else { D[(n % 10) as usize] }),
        _ => n.to_string(),
    }
}

fn date(d: Option<chrono::DateTime<chrono::Utc>>) -> String {
    d.map(|d| d.format("%Y年%m月%d日").to_string()).unwrap_or_else(|| "____年__月__日".into())
}

/// The task's ground: an admission's approval number, an emergency entry still awaiting
/// it, or (assist-list work, which needs no admission) the list it was assigned from.
fn ground(c: &ContractOut) -> (String, String) {
    match &c.approval_number {
        _ if c.origin == crate::admission::ORIGIN_ASSIST => ("派单依据".into(), crate::admission::assist::GROUND.into()),
        Some(n) => ("准入批准文号".into(), n.clone()),
        None => ("准入批准文号".into(), "先进后批，待批准".into()),
    }
}

pub fn contract_doc(c: &ContractOut) -> Doc {
    let mut blocks = vec![
        Block::Title("政府购买服务合同".into()),
        Block::Subtitle(format!("合同编号：{}", c.number)),
        Block::Space,
        Block::Fields(vec![
            ("甲方（购买方）".into(), c.department.clone()),
            ("乙方（承接方）".into(), c.community.clone()),
            ("服务事项".into(), c.task.clone()),
            ground(c),
            ("合同金额".into(), format!("{}（{}）", c.amount.grouped(), c.amount_capitals)),
            ("服务期限".into(), format!("{} 至 {}", c.period_start, c.period_end)),
        ]),
        Block::Paragraph(format!(
            "依据《城乡社区工作事项准入备案制度》，甲方以政府购买服务的形式委托乙方承担上述{}的事项，经费随事项下沉（费随事转）。双方协商一致，订立本合同。",
            if c.origin == crate::admission::ORIGIN_ASSIST { "列入协助办理事项清单" } else { "经准入审批" }
        )),
    ];
    for k in &c.clauses {
        let mark = if k.performance { "（履约条款）" } else { "" };
        blocks.push(Block::Heading(format!("第{}条　{}{}", chinese_number(k.number as u32), k.title, mark)));
        blocks.push(Block::Paragraph(k.text.clone()));
    }
    blocks.push(Block::Heading("付款计划".into()));
    let rows = c
        .milestones
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let condition = match m.clause_id.and_then(|id| c.clauses.iter().find(|k| k.id == id)) {
                Some(k) => format!("第{}条成果验收合格后支付", chinese_number(k.number as u32)),
                None => "到期支付".into(),
            };
            vec![format!("{}", i + 1), m.due.to_string(), m.amount.grouped(), condition]
        })
        .collect();
    blocks.push(Block::Table {
        weights: vec![1, 3, 3, 5],
        header: vec!["期次".into(), "应付日期".into(), "金额（元）".into(), "支付条件".into()],
        rows,
    });
    blocks.push(Block::Paragraph(format!("以上各期合计{}（{}）。", c.amount.grouped(), c.amount_capitals)));
    blocks.push(Block::Space);
    blocks.push(Block::Table {
        weights: vec![1, 1],
        header: vec!["甲方（盖章）".into(), "乙方（盖章）".into()],
        rows: vec![
            vec![c.department.clone(), c.community.clone()],
            vec!["代表人签字：".into(), "代表人签字：".into()],
            vec![format!("签署日期：{}", date(c.department_signed_at)), format!("签署日期：{}", date(c.community_signed_at))],
        ],
    });
    Doc { title: format!("政府购买服务合同 {}", c.number), blocks }
}

/// Turns a rendering failure into the API's error.
pub fn pdf_error(e: PdfError) -> AppError {
    match e {
        PdfError::Unsupported(_) => AppError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "UNSUPPORTED_CHARACTER", e.to_string()),
        PdfError::Render(m) => AppError::internal(m),
    }
}

pub async fn contract_response(st: &crate::AppState, caller: &crate::platform::auth::Caller, c: &ContractOut) -> AppResult<Response> {
    let bytes = crate::pdf::render_off_thread(contract_doc(c)).await?;
    crate::platform::audit::exported(&st.db, caller, "contract_pdf", "contract", Some(c.id)).await?;
    Ok(crate::web::file_download(bytes, "application/pdf", &format!("{}.pdf", c.number), true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clause_numbers() {
        let got: Vec<String> = [1, 9, 10, 11, 20, 21, 99].iter().map(|n| chinese_number(*n)).collect();
        assert_eq!(got, ["一", "九", "十", "十一", "二十", "二十一", "九十九"]);
    }
}
