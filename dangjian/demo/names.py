"""Word lists for the demo group: people's names, regions, units, teams and posts (a port-and-logistics group)."""

from dataclasses import dataclass

# Common surnames in Fujian first, weighted roughly by frequency.
SURNAMES: list[tuple[str, int]] = [
    ("陈", 120), ("林", 110), ("黄", 70), ("张", 55), ("李", 50), ("王", 45), ("吴", 40), ("刘", 35),
    ("郑", 35), ("蔡", 25), ("杨", 25), ("许", 20), ("谢", 20), ("郭", 18), ("洪", 15), ("邱", 12),
    ("曾", 12), ("廖", 12), ("赖", 10), ("徐", 10), ("周", 10), ("叶", 10), ("苏", 10), ("庄", 9),
    ("吕", 8), ("江", 8), ("何", 8), ("罗", 8), ("高", 8), ("潘", 7), ("朱", 7), ("钟", 7), ("游", 6),
    ("彭", 6), ("詹", 5), ("胡", 5), ("施", 5), ("沈", 5), ("余", 5), ("卢", 5), ("梁", 5), ("赵", 5),
    ("颜", 4), ("柯", 4), ("翁", 4), ("魏", 4), ("方", 4), ("孙", 4), ("薛", 3), ("严", 3), ("雷", 3),
    ("蓝", 3), ("连", 3), ("欧阳", 1), ("上官", 1),
]

GIVEN_MALE = "伟强军磊勇杰涛斌鹏辉明建华志峰海波宇浩俊晨航凯文东林平洪良松坤榕闽鑫锋昌德斌福荣兴达翔毅成立新"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲燕婷雪慧颖琳倩萍红梅莉晶琪佳欣蓉怡岚璐"

# Region codes (first six digits of an ID number): mostly Fuzhou, then elsewhere in Fujian, then other provinces.
REGIONS: list[tuple[str, int]] = [
    ("350102", 14), ("350103", 12), ("350104", 12), ("350105", 18), ("350111", 10), ("350112", 12),
    ("350121", 10), ("350122", 10), ("350123", 6), ("350124", 4), ("350125", 4), ("350128", 4),
    ("350181", 10), ("350203", 3), ("350302", 4), ("350402", 2), ("350502", 3), ("350602", 2),
    ("350702", 2), ("350802", 2), ("350902", 4), ("360102", 1), ("330102", 1), ("430102", 1),
    ("420102", 1), ("410102", 1), ("510104", 1), ("340102", 1),
]

ETHNICITIES: list[tuple[str, int]] = [("汉族", 960), ("畲族", 20), ("回族", 8), ("满族", 5), ("壮族", 4), ("土家族", 3)]

# Education levels by profile: older production staff more often 初中/高中/中专, office staff 本科/硕士.
EDUCATION_PRODUCTION: list[tuple[str, int]] = [
    ("初中", 8), ("高中", 20), ("中专", 22), ("大专", 28), ("本科", 20), ("硕士研究生", 2),
]
EDUCATION_OFFICE: list[tuple[str, int]] = [("大专", 10), ("本科", 62), ("硕士研究生", 26), ("博士研究生", 2)]

PHONE_PREFIXES = ["133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "158", "159", "177",
                  "180", "181", "183", "186", "187", "188", "189", "199"]

# Port areas of the group, used to name the 党总支s when there are many of them.
PORT_AREAS = ["马尾港区", "江阴港区", "松下港区", "罗源湾港区", "可门港区", "闽江口港区", "平潭港区", "福清湾港区",
              "长乐港区", "连江港区", "三都澳港区", "湄洲湾港区", "兴化湾港区", "白马港区", "宁德港区"]

_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三 (1 ≤ n ≤ 999)."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    head = _DIGITS[n // 100] + "百"
    if rest == 0:
        return head
    return head + ("零" + _DIGITS[rest] if rest < 10 else ("一" if rest < 20 else "") + cn_number(rest))


@dataclass(frozen=True)
class Profile:
    """What kind of unit a branch is: its teams, posts, staff mix and leading admin title."""

    key: str
    teams: tuple[str, ...]  # team names; empty = no 班组 (offices, retirees)
    job_posts: tuple[str, ...]
    female_share: float
    office: bool = False


PROFILES: dict[str, Profile] = {
    p.key: p
    for p in [
        Profile("dock", ("装卸一班", "装卸二班", "龙门吊班", "桥吊班", "理货班", "调度班", "机修班", "叉车班",
                         "拖车班", "堆场班"),
                ("装卸工", "桥吊司机", "龙门吊司机", "叉车司机", "理货员", "调度员", "安全员", "单证员", "机修工"),
                0.12),
        Profile("logistics", ("集卡一班", "集卡二班", "仓储班", "配送班", "调度班", "单证班", "冷库班", "铁路装车班"),
                ("集卡司机", "仓管员", "调度员", "配送员", "单证员", "客服专员", "铁路货运员"), 0.22),
        Profile("engineering", ("机修班", "电工班", "焊工班", "钳工班", "起重班", "土建班", "设备点检班"),
                ("机修工", "电工", "焊工", "钳工", "技术员", "工程师", "设备点检员"), 0.10),
        Profile("office", (), ("科员", "主管", "会计", "人事专员", "党务专员", "法务专员", "工程师", "安全管理员"),
                0.48, office=True),
        Profile("tally", ("理货一班", "理货二班", "外轮理货班", "检验班", "单证班"),
                ("理货员", "理货组长", "检验员", "单证员"), 0.30),
        Profile("agency", ("船代业务班", "单证班", "客服班", "外勤班"),
                ("船代业务员", "单证员", "客服专员", "外勤员"), 0.45),
        Profile("service", ("综合班", "值班一班", "值班二班", "后勤班"),
                ("引航员", "消防员", "值班员", "驾驶员", "后勤员", "技术员"), 0.20),
        Profile("retiree", (), (), 0.30),
    ]
}


# The usual 岗位 of the people in a team (others in a team keep their own: 安全员, 技术员 …).
TEAM_POSTS = {
    "装卸一班": "装卸工", "装卸二班": "装卸工", "龙门吊班": "龙门吊司机", "桥吊班": "桥吊司机", "理货班": "理货员",
    "调度班": "调度员", "机修班": "机修工", "叉车班": "叉车司机", "拖车班": "拖车司机", "堆场班": "堆场管理员",
    "集卡一班": "集卡司机", "集卡二班": "集卡司机", "仓储班": "仓管员", "配送班": "配送员", "单证班": "单证员",
    "冷库班": "冷库管理员", "铁路装车班": "铁路货运员", "电工班": "电工", "焊工班": "焊工", "钳工班": "钳工",
    "起重班": "起重工", "土建班": "土建工", "设备点检班": "设备点检员", "理货一班": "理货员", "理货二班": "理货员",
    "外轮理货班": "理货员", "检验班": "检验员", "船代业务班": "船代业务员", "客服班": "客服专员", "外勤班": "外勤员",
    "综合班": "综合管理员", "值班一班": "值班员", "值班二班": "值班员", "后勤班": "后勤员",
}


@dataclass(frozen=True)
class Division:
    """A 党总支 of the group: its name, profile and the names of its branches (fixed first, then numbered)."""

    name: str
    profile: str
    fixed: tuple[str, ...]
    numbered: str  # a pattern with {n} for the Chinese numeral


DIVISIONS = [
    Division("码头作业", "dock",
             ("集装箱码头", "装卸一队", "装卸二队", "装卸三队", "散货码头", "件杂货码头", "桥吊队", "生产调度中心",
              "龙门吊队", "滚装码头"), "装卸{n}队"),
    Division("物流运输", "logistics",
             ("集卡车队", "铁路运输队", "仓储配送中心", "堆场管理中心", "冷链物流中心", "多式联运中心"), "运输{n}队"),
    Division("工程维修", "engineering", ("机械维修队", "电气维修队", "港口工程队", "设备管理中心", "船舶修造厂"),
             "维修{n}队"),
    Division("机关", "office", (), "机关第{n}"),
]

# Units directly under the group committee, with their profile. "离退休" is the retirees' branch.
DIRECT_UNITS: list[tuple[str, str]] = [
    ("理货公司", "tally"), ("船舶代理公司", "agency"), ("离退休", "retiree"), ("港口引航站", "service"),
    ("消防救援队", "service"), ("国际货运代理公司", "agency"), ("信息技术公司", "office"), ("物业服务公司", "service"),
    ("港口设计院", "office"), ("安全监督站", "service"), ("外轮理货分公司", "tally"), ("港口医院", "service"),
]

# Leading and deputy admin titles by the last character(s) of a unit's name.
ADMIN_TITLES: list[tuple[str, str, str]] = [
    ("队", "队长", "副队长"), ("公司", "经理", "副经理"), ("码头", "经理", "副经理"), ("中心", "主任", "副主任"),
    ("站", "站长", "副站长"), ("厂", "厂长", "副厂长"), ("院", "院长", "副院长"),
]
OFFICE_TITLES = ["综合办公室主任", "财务部部长", "人力资源部部长", "安全生产部部长", "党群工作部部长",
                 "企业管理部部长", "工会办公室主任", "纪检监察室主任"]
OFFICE_DEPUTY_TITLES = ["财务部副部长", "人力资源部副部长", "安全生产部副部长", "综合办公室副主任", "党群工作部副部长"]


def admin_titles_for(unit: str, profile: str) -> tuple[str, str] | None:
    """(leading title, deputy title) of a unit, or None where the unit has no admin head of its own."""
    if profile == "retiree":
        return None
    for suffix, lead, deputy in ADMIN_TITLES:
        if unit.endswith(suffix):
            return lead, deputy
    return "主任", "副主任"
