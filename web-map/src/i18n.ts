// Every string the interface shows, in Chinese (default) and English. Category and status
// names come from the server's /api/summary when it has them; these are the fallback.

export type Lang = "zh" | "en";

const zh = {
  title: "一张图",
  subtitle: "基层社会治理指挥中心",
  localDemo: "本地演示 · 无需联网",
  openDemo: "本地演示 · 只读浏览，写入需登录",
  loginButton: "登录",
  logoutButton: "退出",
  loginRequired: "此服务器需要登录：请输入管理员发给您的令牌",
  loginHint: "输入令牌登录后可上报、处置、编辑网格或导入数据（按角色）",
  loginFailed: "登录失败",
  cancelButton: "取消",
  role_viewer: "查看员",
  role_operator: "值班员",
  role_planner: "网格规划员",
  role_gis: "GIS 专员",
  role_admin: "管理员",
  viewOnemap: "一张图",
  viewHeatmap: "热力图",
  viewDashboard: "网格看板",
  langSwitch: "English",
  searchPlaceholder: "搜索行政区、网格、摄像机（编码或名称）",
  searchNone: "无结果",
  layers: "图层",
  legend: "图例",
  loading: "加载中…",
  notReady: "服务正在加载数据…",
  layerAdmin: "行政区划",
  layerGrids: "网格",
  layerCameras: "摄像机",
  layerIncidents: "事件",
  layerPatrols: "巡逻轨迹",
  layerWorkers: "网格员",
  layerHeatmap: "事件热力",
  layerBasemap: "底图",
  drill: "行政区划",
  drillAll: "全部",
  levelProvince: "省",
  levelPrefecture: "市",
  levelCounty: "县（市、区）",
  levelTownship: "乡镇（街道）",
  levelVillage: "村（社区）",
  levelGrid: "网格",
  zoomTo: "定位",
  timeRange: "时间范围",
  step: "步长",
  stepDay: "日",
  stepWeek: "周",
  stepMonth: "月",
  play: "播放",
  pause: "暂停",
  categories: "事件类别",
  statuses: "事件状态",
  all: "全部",
  none: "清空",
  incidentsInWindow: "时段内事件",
  hexCount: "每格事件数",
  incident: "事件",
  category: "类别",
  subcategory: "小类",
  status: "状态",
  reportedAt: "上报时间",
  deadline: "办结时限",
  history: "办理过程",
  today: "今日事件",
  overdue: "超期",
  liveFeed: "实时推送",
  workflow: "流转",
  overdueBadge: "已超期",
  act_accept: "受理",
  act_file: "立案",
  act_dispatch: "派遣",
  act_handle: "处置",
  act_verify: "核查",
  act_close: "结案",
  act_cancel: "作废",
  act_postpone: "延期",
  act_send_back: "退回",
  stepFailed: "操作未完成",
  grid: "所在网格",
  workers: "网格员",
  nearestCameras: "最近摄像机",
  nearestWorker: "最近网格员",
  facesIt: "朝向事件",
  notFacing: "未朝向",
  distance: "距离",
  close: "关闭",
  dashboard: "网格看板",
  dashboardHint: "在地图上点击网格，或在“行政区划”中选择单位。",
  incidents: "事件数",
  closureRate: "结案率",
  onTimeRate: "按期办结率",
  due: "应办结",
  closed: "已办结",
  closedOnTime: "按期办结",
  cameras: "摄像机",
  online: "在线",
  households: "户数",
  population: "人口",
  byCategory: "按类别",
  byStatus: "按状态",
  ranking: "网格排名",
  rankBy: "排序",
  rankIncidents: "事件数",
  rankClosure: "结案率",
  rankOnTime: "按期率",
  noData: "暂无数据",
  unavailable: "服务暂不提供此数据",
  metres: "米",
  kilometres: "千米",
  online_: "在线",
  offline_: "离线",
  ofTotal: "共",
  basemapNote: "底图",
  // The grid editor (ui/editor.ts).
  editOpen: "编辑网格",
  editTitle: "网格编辑",
  editPick: "在地图上点选一个网格",
  editHint: "拖动顶点：共用该顶点的相邻网格一起移动；靠近邻格顶点时自动吸附",
  editNotFound: "找不到网格",
  editFindings: "校验",
  editValid: "无问题",
  editImpact: "影响",
  editIncidentsMoved: "改变所属网格的事件",
  editOpenClosed: "未结/已结",
  editCamerasMoved: "改变所属网格的摄像机",
  editPatrolMinutes: "改变网格的巡逻分钟",
  editHouseholds: "户数",
  editOpenIncidents: "未结事件",
  editReason: "修改原因",
  editSave: "保存",
  editSaved: "已保存",
  editUndo: "撤销上次保存",
  editHistory: "历史版本",
  editDiff: "对比",
  editRevert: "恢复",
  editReverted: "已恢复",
  // The import wizard (ui/import.ts).
  importOpen: "导入数据",
  importTitle: "导入数据",
  importFile: "文件",
  importLayer: "图层",
  importLayerCenters: "综治中心",
  importCrs: "坐标系",
  importCrsAuto: "自动（按文件声明）",
  importCrsGcj: "GCJ-02（高德、腾讯）",
  importCrsBd: "BD-09（百度）",
  importCrsOther: "其他 EPSG 编码…",
  importCrsCustom: "如 EPSG:4549",
  importEncoding: "属性编码",
  importEncodingAuto: "自动（.cpg 或检测）",
  importTable: "表 / 文件夹",
  importTableHint: "GeoPackage 表或 KML 文件夹（可选）",
  importHint: "支持 GeoJSON、NDJSON、Shapefile（.zip）、GeoPackage、KML/KMZ、CSV、FlatGeobuf。写入前先检查，确认后一次性写入。",
  importUpload: "上传并检查",
  importChooseFile: "请先选择文件",
  importTooLarge: "文件超过 256 MiB 上限，请拆分后导入",
  importReading: "正在读取和检查…",
  importWriting: "正在写入…",
  importWritten: "已写入要素",
  importFeatures: "要素数",
  importErrors: "错误",
  importWarnings: "警告",
  importAccepted: "可写入",
  importFromOption: "用户指定",
  importFromFile: "文件声明",
  importFromDefault: "默认",
  importDetected: "自动检测",
  importFindings: "检查结果",
  importClean: "未发现问题。",
  importSkipInvalid: "跳过有错误的要素，只写入有效要素",
  importCommit: "确认导入",
  importCancel: "取消",
  // Finding check names (the message itself comes from the server).
  check_invalid_ring: "环无效",
  check_self_intersection: "自相交",
  check_duplicate_code: "编码重复",
  check_malformed_code: "编码格式错误",
  check_code_village_mismatch: "编码与所在村（社区）不符",
  check_outside_parent: "超出上级范围",
  check_overlap: "重叠",
  check_gap: "缝隙",
  check_sliver: "碎片",
  check_encoding: "文字编码",
  check_crs: "坐标系",
  check_attribute: "属性",
  check_geometry: "几何",
};

export type Key = keyof typeof zh;

const en: Record<Key, string> = {
  title: "One Map",
  subtitle: "Grassroots governance command center",
  localDemo: "Local demo · offline",
  openDemo: "Local demo · read-only, sign in to write",
  loginButton: "Sign in",
  logoutButton: "Sign out",
  loginRequired: "This server needs a login: enter the token your administrator gave you",
  loginHint: "Sign in with a token to report, run the workflow, edit grids or import (by role)",
  loginFailed: "Sign-in failed",
  cancelButton: "Cancel",
  role_viewer: "viewer",
  role_operator: "operator",
  role_planner: "planner",
  role_gis: "GIS",
  role_admin: "admin",
  viewOnemap: "One map",
  viewHeatmap: "Heatmap",
  viewDashboard: "Grid dashboard",
  langSwitch: "中文",
  searchPlaceholder: "Search admin units, grids, cameras (code or name)",
  searchNone: "No results",
  layers: "Layers",
  legend: "Legend",
  loading: "Loading…",
  notReady: "The server is loading its data…",
  layerAdmin: "Admin units",
  layerGrids: "Grids",
  layerCameras: "Cameras",
  layerIncidents: "Incidents",
  layerPatrols: "Patrol tracks",
  layerWorkers: "Grid workers",
  layerHeatmap: "Incident heatmap",
  layerBasemap: "Basemap",
  drill: "Admin units",
  drillAll: "All",
  levelProvince: "Province",
  levelPrefecture: "Prefecture",
  levelCounty: "County",
  levelTownship: "Township",
  levelVillage: "Village",
  levelGrid: "Grid",
  zoomTo: "Zoom to",
  timeRange: "Time range",
  step: "Step",
  stepDay: "Day",
  stepWeek: "Week",
  stepMonth: "Month",
  play: "Play",
  pause: "Pause",
  categories: "Categories",
  statuses: "Statuses",
  all: "All",
  none: "None",
  incidentsInWindow: "Incidents in window",
  hexCount: "Incidents per cell",
  incident: "Incident",
  category: "Category",
  subcategory: "Subcategory",
  status: "Status",
  reportedAt: "Reported",
  deadline: "Deadline",
  history: "History",
  today: "Today",
  overdue: "Overdue",
  liveFeed: "Live feed",
  workflow: "Workflow",
  overdueBadge: "overdue",
  act_accept: "Accept",
  act_file: "File",
  act_dispatch: "Dispatch",
  act_handle: "Handle",
  act_verify: "Verify",
  act_close: "Close",
  act_cancel: "Cancel",
  act_postpone: "Postpone",
  act_send_back: "Send back",
  stepFailed: "Not done",
  grid: "Grid",
  workers: "Grid workers",
  nearestCameras: "Nearest cameras",
  nearestWorker: "Nearest worker",
  facesIt: "faces it",
  notFacing: "not facing",
  distance: "Distance",
  close: "Close",
  dashboard: "Grid dashboard",
  dashboardHint: "Click a grid on the map, or pick a unit under Admin units.",
  incidents: "Incidents",
  closureRate: "Closure rate",
  onTimeRate: "On-time rate",
  due: "Due",
  closed: "Closed",
  closedOnTime: "Closed on time",
  cameras: "Cameras",
  online: "online",
  households: "Households",
  population: "Population",
  byCategory: "By category",
  byStatus: "By status",
  ranking: "Grid ranking",
  rankBy: "Rank by",
  rankIncidents: "Incidents",
  rankClosure: "Closure rate",
  rankOnTime: "On-time rate",
  noData: "No data",
  unavailable: "The server does not offer this yet",
  metres: "m",
  kilometres: "km",
  online_: "online",
  offline_: "offline",
  ofTotal: "of",
  basemapNote: "Basemap",
  // The import wizard (ui/import.ts).
  // The grid editor (ui/editor.ts).
  editOpen: "Edit grids",
  editTitle: "Grid editor",
  editPick: "Pick a grid on the map",
  editHint: "Drag a vertex: neighbours sharing it move with it; it snaps to neighbours' vertices",
  editNotFound: "No grid",
  editFindings: "Checks",
  editValid: "No problems",
  editImpact: "Impact",
  editIncidentsMoved: "Incidents changing grid",
  editOpenClosed: "open/closed",
  editCamerasMoved: "Cameras changing grid",
  editPatrolMinutes: "Patrol minutes changing grid",
  editHouseholds: "Households",
  editOpenIncidents: "open incidents",
  editReason: "Reason for the change",
  editSave: "Save",
  editSaved: "Saved",
  editUndo: "Undo last save",
  editHistory: "Revisions",
  editDiff: "Diff",
  editRevert: "Revert",
  editReverted: "Reverted",
  importOpen: "Import data",
  importTitle: "Import data",
  importFile: "File",
  importLayer: "Layer",
  importLayerCenters: "Governance centers",
  importCrs: "CRS",
  importCrsAuto: "Auto (as the file declares)",
  importCrsGcj: "GCJ-02 (AMap, Tencent)",
  importCrsBd: "BD-09 (Baidu)",
  importCrsOther: "Other EPSG code…",
  importCrsCustom: "e.g. EPSG:4549",
  importEncoding: "Text encoding",
  importEncodingAuto: "Auto (.cpg or detected)",
  importTable: "Table / folder",
  importTableHint: "GeoPackage table or KML folder (optional)",
  importHint: "GeoJSON, NDJSON, Shapefile (.zip), GeoPackage, KML/KMZ, CSV, FlatGeobuf. Checked before anything is written; written in one go when you confirm.",
  importUpload: "Upload and check",
  importChooseFile: "Choose a file first",
  importTooLarge: "The file is over the 256 MiB limit; split it and import the parts",
  importReading: "Reading and checking…",
  importWriting: "Writing…",
  importWritten: "Features written:",
  importFeatures: "Features",
  importErrors: "Errors",
  importWarnings: "Warnings",
  importAccepted: "Can be written",
  importFromOption: "as chosen",
  importFromFile: "from the file",
  importFromDefault: "default",
  importDetected: "detected",
  importFindings: "Findings",
  importClean: "Nothing found.",
  importSkipInvalid: "Skip the features with errors, write the valid ones",
  importCommit: "Import",
  importCancel: "Cancel",
  check_invalid_ring: "invalid ring",
  check_self_intersection: "self-intersection",
  check_duplicate_code: "duplicate code",
  check_malformed_code: "malformed code",
  check_code_village_mismatch: "code does not match its village",
  check_outside_parent: "outside its parent",
  check_overlap: "overlap",
  check_gap: "gap",
  check_sliver: "sliver",
  check_encoding: "text encoding",
  check_crs: "CRS",
  check_attribute: "attribute",
  check_geometry: "geometry",
};

/** Category and status names used until /api/summary supplies the server's own. */
const classes: Record<Lang, Record<string, string>> = {
  zh: {
    dispute: "矛盾纠纷",
    public_security: "治安问题",
    fire_hazard: "消防隐患",
    safety_hazard: "安全隐患",
    environment: "环境卫生",
    petition: "信访诉求",
    other: "其他",
    reported: "已上报",
    accepted: "已受理",
    filed: "已立案",
    dispatched: "已派遣",
    handling: "处置中",
    verifying: "核查中",
    closed: "已结案",
    cancelled: "已撤销",
    postponed: "已延期",
    sent_back: "已退回",
  },
  en: {
    dispute: "Dispute",
    public_security: "Public security",
    fire_hazard: "Fire hazard",
    safety_hazard: "Safety hazard",
    environment: "Environment",
    petition: "Petition",
    other: "Other",
    reported: "Reported",
    accepted: "Accepted",
    filed: "Filed",
    dispatched: "Dispatched",
    handling: "Handling",
    verifying: "Verifying",
    closed: "Closed",
    cancelled: "Cancelled",
    postponed: "Postponed",
    sent_back: "Sent back",
  },
};

const tables: Record<Lang, Record<Key, string>> = { zh, en };

function initialLang(): Lang {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked === "en" || asked === "zh") return asked;
  const saved = localStorage.getItem("onemap.lang");
  return saved === "en" ? "en" : "zh";
}

let lang: Lang = initialLang();
const listeners: Array<() => void> = [];

/** The current interface language. */
export function currentLang(): Lang {
  return lang;
}

/** Switches the language, remembers it and redraws every part that listens. */
export function setLang(next: Lang): void {
  lang = next;
  localStorage.setItem("onemap.lang", next);
  document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
  for (const f of listeners) f();
}

/** Calls `f` now and on every language change. */
export function onLang(f: () => void): void {
  listeners.push(f);
  f();
}

/** The string `key` in the current language. */
export function t(key: Key): string {
  return tables[lang][key];
}

/** Learns the server's category and status names (id -> zh/en). */
export function learnClasses(items: Array<{ id: string; zh: string; en: string }>): void {
  for (const it of items) {
    classes.zh[it.id] = it.zh;
    classes.en[it.id] = it.en;
  }
}

/** The display name of a category or status id. */
export function className(id: string): string {
  return classes[lang][id] ?? id;
}

/** A level id (county, township, village, grid...) as a word. */
export function levelName(level: string): string {
  const k = `level${level.charAt(0).toUpperCase()}${level.slice(1)}` as Key;
  return k in zh ? t(k) : level;
}

/** Formats a count with the locale's grouping. */
export function num(n: number): string {
  return n.toLocaleString(lang === "zh" ? "zh-CN" : "en-US");
}

/** Formats a 0..1 rate as a percentage. */
export function pct(r: number | null | undefined): string {
  if (r === null || r === undefined || Number.isNaN(r)) return "–";
  return `${(r * 100).toFixed(1)}%`;
}

/** Formats a distance in metres. */
export function dist(m: number): string {
  return m >= 1000 ? `${(m / 1000).toFixed(2)} ${t("kilometres")}` : `${Math.round(m)} ${t("metres")}`;
}

/** Formats an RFC 3339 time or epoch seconds as a local date and time. */
export function when(v: string | number | null | undefined, withTime = true): string {
  if (v === null || v === undefined || v === "") return "–";
  const d = typeof v === "number" ? new Date(v * 1000) : new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  const opts: Intl.DateTimeFormatOptions = withTime
    ? { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }
    : { year: "numeric", month: "2-digit", day: "2-digit" };
  return d.toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", opts);
}
