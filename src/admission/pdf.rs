//! The approval document (准入批准文书) for the PDF machinery.
use super::api::AdmissionOut;
use crate::pdf::{Block, Doc};

pub fn approval_doc(a: &AdmissionOut, county: &str, decided_on: &str) -> Doc {
    let number = a.approval_number.clone().unwrap_or_default();
    let communities: Vec<String> = a.targets.iter().map(|t| t.community.clone()).collect();
    let period = format!(
        "{} 至 {}",
        a.period_start.map(|d| d.to_string()).unwrap_or_default(),
        a.period_end.map(|d| d.to_string()).unwrap_or_default()
    );
    let mut fields = vec![
        ("事项名称".into(), a.title.clone()),
        ("任务内容".into(), a.description.clone()),
        ("文件依据".into(), a.basis.clone()),
        ("进入社区".into(), communities.join("、")),
        ("工作期限".into(), period),
        ("经费预算".into(), a.budget.map(|b| format!("{}（{}）", b.grouped(), b.capitals())).unwrap_or_default()),
    ];
    // Every override of a screening finding is on the document, with who and why.
    for x in a.findings().iter().filter(|f| f.overridden()) {
        fields.push(("筛查结论推翻".into(), format!("{}（{}：{}）", x.message, x.decided_by.clone().unwrap_or_default(), x.reason.clone().unwrap_or_default())));
    }
    fields.push(("审批结论".into(), format!("同意准入{}", a.decision_comment.clone().map(|c| format!("。{c}")).unwrap_or_default())));
    Doc {
        title: format!("准入批准文书 {number}"),
        blocks: vec![
            Block::Title(format!("{county}城乡社区工作事项准入批准文书")),
            Block::Subtitle(number),
            Block::Space,
            Block::Paragraph(format!("{}：", a.department)),
            Block::Paragraph(format!(
                "你单位申请的“{}”事项，经{county}民政局审核、{county}城乡社区建设领导小组审定，同意进入下列社区，以政府购买服务方式办理，经费随事项下沉（费随事转）。",
                a.title
            )),
            Block::Fields(fields),
            Block::Paragraph(crate::citation::human("工作完成后，本准入事项予以撤销（001 §二(一)）。社区对未持本文书进入的工作有权拒绝。")),
            Block::Space,
            Block::Right(vec![format!("{county}城乡社区建设领导小组"), decided_on.to_string()]),
        ],
    }
}
