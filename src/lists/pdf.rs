//! A county's lists in force for the wall (上墙公示), for the PDF machinery.
use super::api::ListItemOut;
use super::ListKind;
use crate::pdf::{Block, Doc};

pub fn public_lists_doc(county: &str, year: Option<i32>, items: &[(ListKind, Vec<ListItemOut>)]) -> Doc {
    let title = format!("{county}城乡社区工作事项清单{}", year.map(|y| format!("（{y}年）")).unwrap_or_default());
    let mut blocks = vec![
        Block::Title(title.clone()),
        Block::Paragraph("清单以外的事项，须经准入审批后方可进入社区；未经准入的工作，社区有权拒绝。".into()),
    ];
    for (kind, list) in items {
        blocks.push(Block::Heading(format!("{}（{}项）", kind.label(), list.len())));
        blocks.push(Block::Table {
            weights: vec![1, 4, 5, 4, 3],
            header: vec!["序号".into(), "事项名称".into(), "事项说明".into(), "依据".into(), "责任部门".into()],
            rows: list
                .iter()
                .enumerate()
                .map(|(i, it)| vec![(i + 1).to_string(), it.title.clone(), it.description.clone(), crate::citation::human(&it.basis), it.department.clone()])
                .collect(),
        });
    }
    Doc { title, blocks }
}
