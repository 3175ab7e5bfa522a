// An outage notice version's stored state (ticketing.knowledge: 发布中, 变更后, 已删除; 已结束 worked
// out from its end) → the text naming it on the pages. A withdrawal, stored 已删除, reads 已撤销:
// nothing is deleted (every version is kept), on 停电信息 and in 审计日志 alike.
export const NOTICE_STATES = { 发布中: "notice.state_active", 已结束: "notice.state_ended", 变更后: "notice.state_changed", 已删除: "notice.state_deleted" };
