"""Word lists for the synthetic demo county: surnames, given-name characters, place-name parts.

Names are random combinations of common surnames and common given-name characters; they belong to
no real person. Village names are random combinations of common place-name parts.
"""

# Common surnames with rough relative frequencies (per mille of the population, rounded).
SURNAMES = [
    ("王", 72), ("李", 72), ("张", 69), ("刘", 54), ("陈", 45), ("杨", 31), ("赵", 20), ("黄", 19),
    ("周", 18), ("吴", 17), ("徐", 13), ("孙", 13), ("胡", 12), ("朱", 11), ("高", 11), ("林", 10),
    ("何", 10), ("郭", 10), ("马", 9), ("罗", 8), ("梁", 7), ("宋", 7), ("郑", 7), ("谢", 6),
    ("韩", 6), ("唐", 6), ("冯", 6), ("于", 5), ("董", 5), ("萧", 5), ("程", 5), ("曹", 5),
    ("袁", 5), ("邓", 5), ("许", 5), ("傅", 4), ("沈", 4), ("曾", 4), ("彭", 4), ("吕", 4),
    ("苏", 4), ("卢", 4), ("蒋", 4), ("蔡", 4), ("贾", 3), ("丁", 3), ("魏", 3), ("薛", 3),
    ("叶", 3), ("阎", 3), ("余", 3), ("潘", 3), ("杜", 3), ("戴", 3), ("夏", 3), ("钟", 3),
    ("汪", 3), ("田", 3), ("任", 3), ("姜", 3), ("范", 3), ("方", 3), ("石", 3), ("姚", 3),
    ("谭", 2), ("廖", 2), ("邹", 2), ("熊", 2), ("金", 2), ("陆", 2), ("郝", 2), ("孔", 2),
    ("白", 2), ("崔", 2), ("康", 2), ("毛", 2), ("邱", 2), ("秦", 2), ("江", 2), ("史", 2),
    ("顾", 2), ("侯", 2), ("邵", 2), ("孟", 2), ("龙", 2), ("万", 2), ("段", 2), ("雷", 2),
    ("钱", 2), ("汤", 2), ("尹", 2), ("黎", 2), ("易", 2), ("常", 2), ("武", 2), ("乔", 2),
    ("贺", 2), ("赖", 2), ("龚", 2), ("文", 2),
]

# Given-name characters by sex and by generation (born before / after about 1980).
MALE_OLD = list("国建华德明文志永春海军平富贵福寿生荣兴发庆顺祥成忠义广林树山宝田")
MALE_YOUNG = list("伟强磊勇杰涛超刚辉鹏飞鑫波斌宇浩凯健俊帆帅旭宁龙阳峰亮东晨博睿轩然泽铭航")
FEMALE_OLD = list("秀英桂兰凤珍玉芳华梅琴花云霞荣翠淑素美兰春莲菊萍爱红娥")
FEMALE_YOUNG = list("娜敏静丽艳娟燕玲婷慧莉倩洁颖雪琳晶欣怡佳悦彤涵萱雨梦诗思蕾瑶")

# Village names: <surname or word><place part>村 and a set of common descriptive names.
PLACE_PARTS = list("庄集桥楼湖营圩寨店岗园庙坊湾沟坪屯铺台塘河寺口坝岭")
PLACE_PREFIXES = list("东西南北前后大小新老上下")
DESCRIPTIVE = [
    "红星", "光明", "幸福", "和平", "团结", "胜利", "永安", "长丰", "丰收", "太平", "永和", "新华",
    "前进", "建设", "民主", "友谊", "先锋", "联合", "兴隆", "富民", "安乐", "双龙", "三合", "五一",
    "青山", "绿水", "清泉", "金竹", "白沙", "石桥", "柳林", "杏花", "桃园", "梨树", "荷花", "松林",
    "凤凰", "龙泉", "黄土", "高峰", "平安", "新风", "向阳", "东风", "永丰", "长乐", "福兴", "宏图",
]

# Synthetic townships for a county that the national division table does not have.
SYNTHETIC_TOWNSHIPS = [
    "城关镇", "东关镇", "西关镇", "河西镇", "石桥镇", "柳林镇", "白马镇", "龙泉镇", "清河乡",
    "高庄乡", "杨村乡", "马坊乡", "北台乡", "南营乡",
]

NUMERALS = "一二三四五六七八九十"

# Ethnic mix by province for the demo (share of non-Han members); 汉族 for the rest.
ETHNIC_MIX = {
    "云南省": [("佤族", 0.10), ("傣族", 0.06), ("德昂族", 0.03), ("傈僳族", 0.04), ("拉祜族", 0.04),
              ("彝族", 0.05), ("布朗族", 0.02)],
    "重庆市": [("土家族", 0.02), ("苗族", 0.005)],
    "河北省": [("回族", 0.01), ("满族", 0.01)],
    "安徽省": [("回族", 0.005)],
}

# Mobile number prefixes (all match ^1[3-9]\d).
PHONE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186",
    "187", "188", "189", "191", "198", "199",
]


def numeral(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 21 → 二十一 (up to 99)."""
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    head = "十" if tens == 1 else NUMERALS[tens - 1] + "十"
    return head + (NUMERALS[ones - 1] if ones else "")
