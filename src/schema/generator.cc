#include "schema/generator.h"

#include <algorithm>
#include <cstring>

#include "schema/division_table.h"
#include "schema/resident_id.h"

namespace warden::schema {
namespace {

// SplitMix64's finaliser: a bijective 64-bit mixer.
inline uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// A small, fast generator seeded per record.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(Mix(seed)) {}
  uint64_t Next() {
    s_ += 0x9e3779b97f4a7c15ULL;
    return Mix(s_);
  }
  // Uniform in [0, n) (Lemire's multiply-shift; bias below 2^-32).
  uint32_t Below(uint32_t n) {
    return static_cast<uint32_t>((static_cast<uint64_t>(static_cast<uint32_t>(Next())) * n) >> 32);
  }
  uint64_t Below64(uint64_t n) {
    // Modulo bias below n / 2^64: negligible for the sizes used here.
    return Next() % n;
  }

 private:
  uint64_t s_;
};

// A keyed bijection on [0, n): a four-round Feistel network on the smallest
// even number of bits covering n, with cycle walking.
class Permutation {
 public:
  Permutation(uint64_t n, uint64_t key) : n_(n) {
    int bits = 2;
    while (bits < 64 && (uint64_t{1} << bits) < n) bits += 2;
    half_ = bits / 2;
    mask_ = (uint64_t{1} << half_) - 1;
    for (int i = 0; i < 4; ++i) keys_[i] = Mix(key + 0x1234567ULL * static_cast<uint64_t>(i + 1));
  }
  uint64_t Forward(uint64_t x) const {
    do {
      x = Round(x);
    } while (x >= n_);
    return x;
  }

 private:
  uint64_t Round(uint64_t x) const {
    uint64_t l = x >> half_, r = x & mask_;
    for (uint64_t k : keys_) {
      uint64_t t = l ^ (Mix(r ^ k) & mask_);
      l = r;
      r = t;
    }
    return (l << half_) | r;
  }
  uint64_t n_;
  int half_;
  uint64_t mask_;
  uint64_t keys_[4];
};

// Weighted choice over a short table by cumulative integer weights.
template <size_t N>
struct WeightedChoice {
  std::array<std::string_view, N> items;
  std::array<uint32_t, N> cumulative;
  uint32_t total;
  WeightedChoice(const std::array<std::pair<std::string_view, uint32_t>, N>& table) {
    uint32_t sum = 0;
    for (size_t i = 0; i < N; ++i) {
      sum += table[i].second;
      items[i] = table[i].first;
      cumulative[i] = sum;
    }
    total = sum;
  }
  std::string_view Pick(Rng& rng) const {
    uint32_t v = rng.Below(total);
    size_t i = static_cast<size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), v) -
                                   cumulative.begin());
    return items[std::min(i, N - 1)];
  }
};

// Province populations, 2020 census, in units of 100,000 (approximate).
struct ProvincePopulation {
  uint32_t code;
  uint32_t population;
};
constexpr ProvincePopulation kProvinces[] = {
    {11, 219}, {12, 139}, {13, 746},  {14, 349}, {15, 240}, {21, 426}, {22, 241},  {23, 319},
    {31, 249}, {32, 847}, {33, 646},  {34, 610}, {35, 415}, {36, 452}, {37, 1015}, {41, 994},
    {42, 578}, {43, 664}, {44, 1260}, {45, 501}, {46, 101}, {50, 321}, {51, 837},  {52, 386},
    {53, 472}, {54, 36},  {61, 395},  {62, 250}, {63, 59},  {64, 72},  {65, 259},
};

// Surname frequencies (per 10,000 of the population; national ranking,
// rounded). The remaining mass is spread over these by renormalisation.
const WeightedChoice<100> kSurnames({{
    {"王", 712}, {"李", 700}, {"张", 674}, {"刘", 510}, {"陈", 461}, {"杨", 322}, {"黄", 245},
    {"赵", 219}, {"吴", 205}, {"周", 191}, {"徐", 148}, {"孙", 146}, {"马", 129}, {"朱", 125},
    {"胡", 117}, {"郭", 113}, {"何", 109}, {"高", 101}, {"林", 100}, {"罗", 95},  {"郑", 83},
    {"梁", 83},  {"谢", 78},  {"宋", 71},  {"唐", 70},  {"许", 66},  {"韩", 64},  {"冯", 63},
    {"邓", 62},  {"曹", 61},  {"彭", 59},  {"曾", 57},  {"肖", 56},  {"田", 53},  {"董", 52},
    {"袁", 50},  {"潘", 49},  {"于", 49},  {"蒋", 48},  {"蔡", 47},  {"余", 46},  {"杜", 45},
    {"叶", 44},  {"程", 44},  {"苏", 41},  {"魏", 40},  {"吕", 40},  {"丁", 39},  {"任", 38},
    {"沈", 37},  {"姚", 36},  {"卢", 36},  {"姜", 35},  {"崔", 34},  {"钟", 33},  {"谭", 32},
    {"陆", 31},  {"汪", 30},  {"范", 30},  {"金", 29},  {"石", 28},  {"廖", 28},  {"贾", 27},
    {"夏", 26},  {"韦", 26},  {"付", 25},  {"方", 25},  {"白", 24},  {"邹", 24},  {"孟", 23},
    {"熊", 23},  {"秦", 22},  {"邱", 22},  {"江", 21},  {"尹", 21},  {"薛", 20},  {"闫", 20},
    {"段", 19},  {"雷", 19},  {"侯", 18},  {"龙", 18},  {"史", 17},  {"陶", 17},  {"黎", 16},
    {"贺", 16},  {"顾", 15},  {"毛", 15},  {"郝", 15},  {"龚", 15},  {"邵", 14},  {"万", 14},
    {"钱", 14},  {"严", 13},  {"覃", 13},  {"武", 13},  {"戴", 13},  {"莫", 12},  {"孔", 12},
    {"欧阳", 4}, {"诸葛", 1},
}});

constexpr std::string_view kMaleGiven[] = {
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏",
    "华", "飞", "鑫", "波", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁", "龙",
    "林", "阳", "建", "国", "志", "文", "海", "峰", "亮", "成", "东", "晨", "博", "然",
    "轩", "睿", "子", "泽", "航", "德", "春", "永", "庆", "振", "嘉", "铭", "昊", "天"};
constexpr std::string_view kFemaleGiven[] = {
    "芳", "娜", "敏", "静", "秀", "丽", "艳", "娟", "霞", "燕", "玲", "桂", "英", "丹",
    "萍", "红", "玉", "兰", "梅", "莉", "婷", "雪", "琳", "颖", "慧", "佳", "倩", "欣",
    "怡", "悦", "婧", "彤", "涵", "琪", "萱", "璐", "晶", "月", "洁", "瑶", "诗", "思",
    "雨", "梓", "春", "凤", "淑", "华", "云", "文", "晓", "美", "海", "宁"};
constexpr std::string_view kUyghurMale[] = {"艾力",   "买买提", "阿不都", "热合曼", "艾合买提",
                                            "吐尔逊", "努尔",   "伊力",   "肉孜",   "阿迪力"};
constexpr std::string_view kUyghurFemale[] = {"阿依古丽", "古丽娜尔", "帕提古丽", "热依拉",
                                              "米热古丽", "阿依努尔", "祖丽菲娅", "迪丽娜尔"};
constexpr std::string_view kTibetanParts[] = {"扎西", "次仁", "多吉", "卓玛", "拉姆", "央金",
                                              "格桑", "平措", "旦增", "尼玛", "达瓦", "德吉"};
constexpr std::string_view kRoads[] = {
    "人民路", "解放路",   "中山路", "建设路", "和平路", "新华路", "胜利路", "长江路",
    "黄河路", "文化路",   "朝阳路", "幸福路", "光明路", "团结路", "友谊路", "育才路",
    "青年路", "东风路",   "北京路", "南京路", "工业路", "环城路", "滨江路", "花园路",
    "学府路", "迎宾大道", "振兴街", "健康路", "公园路", "府前街", "站前路", "发展大道"};
constexpr std::string_view kNotes[] = {"户籍迁入", "曾用名已登记", "已换领第二代居民身份证",
                                       "人户分离", "现役军人家属"};

const WeightedChoice<9> kEducation({{{"none", 3},
                                     {"primary", 24},
                                     {"junior_secondary", 34},
                                     {"senior_secondary", 15},
                                     {"vocational", 5},
                                     {"college", 8},
                                     {"bachelor", 9},
                                     {"master", 15 / 10 + 1},
                                     {"doctorate", 1}}});
const WeightedChoice<12> kCategories({{{"theft", 30},
                                       {"fraud", 22},
                                       {"assault", 6},
                                       {"robbery", 2},
                                       {"burglary", 8},
                                       {"traffic", 10},
                                       {"drugs", 3},
                                       {"missing_person", 2},
                                       {"cybercrime", 7},
                                       {"public_order", 6},
                                       {"domestic", 3},
                                       {"other", 1}}});
const WeightedChoice<5> kCaseStatus(
    {{{"open", 15}, {"investigating", 25}, {"suspended", 10}, {"closed", 45}, {"transferred", 5}}});
const WeightedChoice<10> kCouriers({{{"sf", 12},
                                     {"ems", 6},
                                     {"jd", 10},
                                     {"zto", 20},
                                     {"yto", 16},
                                     {"sto", 11},
                                     {"yunda", 15},
                                     {"best", 5},
                                     {"deppon", 3},
                                     {"other", 2}}});
constexpr std::string_view kInstructions[] = {"放快递柜", "送货前请电话联系", "放门卫室",
                                              "工作日白天送达", "易碎品请轻放"};

std::string_view CaseSummary(std::string_view category) {
  if (category == "theft") return "报案人称其停放的电动自行车被盗，价值约三千元。";
  if (category == "fraud") return "报案人接到冒充客服的电话，按指示转账后发现被骗。";
  if (category == "assault") return "双方因琐事发生口角后互相推搡，一方轻微受伤。";
  if (category == "robbery") return "报案人称夜间行走时被人抢走手机一部。";
  if (category == "burglary") return "报案人外出归来发现家中门锁被撬，财物丢失。";
  if (category == "traffic") return "两车在路口发生刮擦，无人员受伤。";
  if (category == "drugs") return "接群众举报，某出租屋内疑有吸毒人员。";
  if (category == "missing_person") return "家属报称老人外出后未归，手机无法接通。";
  if (category == "cybercrime") return "报案人称其网络账号被盗并被用于诈骗亲友。";
  if (category == "public_order") return "接报某娱乐场所有人聚众滋事。";
  if (category == "domestic") return "邻居报称隔壁住户发生家庭纠纷。";
  return "其他警情，已登记处理。";
}

// Mobile number prefixes (first three digits) allocated in China.
constexpr uint16_t kMobilePrefixes[] = {
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157, 158, 159,
    166, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 198, 199};
constexpr uint64_t kPhoneSpace = std::size(kMobilePrefixes) * 100'000'000ULL;

// Birth dates 1930-01-01 .. 2020-12-31.
const int64_t kFirstBirthDay = DaysFromCivil({1930, 1, 1});
const int64_t kBirthDays = DaysFromCivil({2020, 12, 31}) - kFirstBirthDay + 1;

void AppendDigits(std::string& out, uint64_t v, int width) {
  char buf[24];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

void AppendUint(std::string& out, uint64_t v) {
  char buf[24];
  int n = 0;
  do {
    buf[23 - n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(buf + 24 - n, static_cast<size_t>(n));
}

void SetDate(std::string& out, int64_t days) {
  CivilDate d = CivilFromDays(days);
  out.clear();
  AppendDigits(out, static_cast<uint64_t>(d.year), 4);
  out.push_back('-');
  AppendDigits(out, static_cast<uint64_t>(d.month), 2);
  out.push_back('-');
  AppendDigits(out, static_cast<uint64_t>(d.day), 2);
}

template <typename T, size_t N>
const T& PickFrom(const T (&items)[N], Rng& rng) {
  return items[rng.Below(static_cast<uint32_t>(N))];
}

}  // namespace

// ---------------------------------------------------------------------------
// Persons

struct PersonGenerator::Tables {
  struct County {
    uint32_t code;
    char code_text[6];
    std::string full_name;  // province + prefecture + county
    std::span<const Township> townships;
    uint32_t sequences;  // distinct sequence numbers used in this county
    uint32_t province;
  };
  std::vector<County> counties;
  std::vector<uint64_t> id_cumulative;  // prefix sums of sequences * kBirthDays
  uint64_t id_space = 0;
  Permutation id_perm;
  Permutation phone_perm;

  explicit Tables(uint64_t seed)
      : id_perm(1, 0), phone_perm(kPhoneSpace, Mix(seed ^ 0x70686f6e65ULL)) {
    const DivisionTable& table = DivisionTable::Get();
    // Counties per province, to spread each province's population evenly.
    std::array<uint32_t, 100> per_province{};
    for (const Division* d : table.Counties()) ++per_province[d->code / 10000];
    double max_weight = 0;
    std::vector<double> weights;
    for (const Division* d : table.Counties()) {
      uint32_t p = d->code / 10000;
      double pop = 0;
      for (const ProvincePopulation& pp : kProvinces) {
        if (pp.code == p) pop = pp.population;
      }
      double w = per_province[p] ? pop / per_province[p] : 0;
      weights.push_back(w);
      max_weight = std::max(max_weight, w);
    }
    size_t i = 0;
    for (const Division* d : table.Counties()) {
      double w = weights[i++];
      if (w <= 0) continue;
      County c;
      c.code = d->code;
      std::string code = std::to_string(d->code);
      std::memcpy(c.code_text, code.data(), 6);
      c.full_name = table.FullName(d->code);
      c.townships = table.TownshipsOf(d->code);
      // Up to 998 sequence numbers (001-998), at least one of each parity.
      c.sequences = std::max<uint32_t>(2, static_cast<uint32_t>(998.0 * w / max_weight));
      c.province = d->code / 10000;
      counties.push_back(std::move(c));
      id_space += static_cast<uint64_t>(counties.back().sequences) * kBirthDays;
      id_cumulative.push_back(id_space);
    }
    id_perm = Permutation(id_space, Mix(seed ^ 0x6964ULL));
  }

  // A county drawn by population weight.
  const County& RandomCounty(Rng& rng) const { return CountyOfSlot(rng.Below64(id_space)); }
  const County& CountyOfSlot(uint64_t v) const {
    size_t i = static_cast<size_t>(std::upper_bound(id_cumulative.begin(), id_cumulative.end(), v) -
                                   id_cumulative.begin());
    return counties[i];
  }
};

namespace {

// Decomposes slot v of the ID space into county, birth day and sequence.
template <typename Tables>
void IdOfSlot(const Tables& t, uint64_t v, size_t& county, int64_t& day, uint32_t& seq) {
  county = static_cast<size_t>(std::upper_bound(t.id_cumulative.begin(), t.id_cumulative.end(), v) -
                               t.id_cumulative.begin());
  uint64_t offset = v - (county == 0 ? 0 : t.id_cumulative[county - 1]);
  uint32_t n = t.counties[county].sequences;
  day = kFirstBirthDay + static_cast<int64_t>(offset / n);
  seq = static_cast<uint32_t>(offset % n) + 1;
}

void FormatId(std::string& out, const char* code_text, int64_t day, uint32_t seq) {
  CivilDate d = CivilFromDays(day);
  out.assign(code_text, 6);
  AppendDigits(out, static_cast<uint64_t>(d.year), 4);
  AppendDigits(out, static_cast<uint64_t>(d.month), 2);
  AppendDigits(out, static_cast<uint64_t>(d.day), 2);
  AppendDigits(out, seq, 3);
  out.push_back(ResidentIdCheckChar(out));
}

template <typename County>
void SetAddress(std::string& out, const County& c, Rng& rng) {
  out = c.full_name;
  if (!c.townships.empty()) {
    out += c.townships[rng.Below(static_cast<uint32_t>(c.townships.size()))].name;
  }
  out += PickFrom(kRoads, rng);
  AppendUint(out, 1 + rng.Below(300));
  out += "号";
  if (rng.Below(3) != 0) {
    AppendUint(out, 1 + rng.Below(30));
    out += "栋";
    AppendUint(out, 1 + rng.Below(4));
    out += "单元";
    AppendUint(out, 1 + rng.Below(30));
    AppendDigits(out, 1 + rng.Below(6), 2);
    out += "室";
  }
}

}  // namespace

PersonGenerator::PersonGenerator(uint64_t seed) : seed_(seed), t_(std::make_unique<Tables>(seed)) {}
PersonGenerator::~PersonGenerator() = default;

uint64_t PersonGenerator::Capacity() const { return std::min(t_->id_space, kPhoneSpace / 2); }

void PersonGenerator::NationalIdAt(uint64_t index, std::string& out) const {
  size_t county;
  int64_t day;
  uint32_t seq;
  IdOfSlot(*t_, t_->id_perm.Forward(index), county, day, seq);
  FormatId(out, t_->counties[county].code_text, day, seq);
}

void PersonGenerator::At(uint64_t index, PersonRecord& p) const {
  Rng rng(seed_ * 0x9e3779b97f4a7c15ULL ^ Mix(index + 0x7065ULL));
  size_t ci;
  int64_t day;
  uint32_t seq;
  IdOfSlot(*t_, t_->id_perm.Forward(index), ci, day, seq);
  const Tables::County& county = t_->counties[ci];
  FormatId(p.national_id, county.code_text, day, seq);
  bool male = seq % 2 == 1;
  p.gender = male ? "male" : "female";
  SetDate(p.birth_date, day);
  int age = 2024 - CivilFromDays(day).year;

  // Name and ethnicity; minority naming customs where they are common.
  p.name.clear();
  p.ethnicity = "汉族";
  uint32_t roll = rng.Below(100);
  if (county.province == 65 && roll < 45) {
    p.ethnicity = "维吾尔族";
    p.name += male ? PickFrom(kUyghurMale, rng) : PickFrom(kUyghurFemale, rng);
    p.name += "·";
    p.name += PickFrom(kUyghurMale, rng);
  } else if (county.province == 54 && roll < 85) {
    p.ethnicity = "藏族";
    p.name += PickFrom(kTibetanParts, rng);
    p.name += PickFrom(kTibetanParts, rng);
  } else {
    if (county.province == 45 && roll < 30) p.ethnicity = "壮族";
    if (county.province == 64 && roll < 35) p.ethnicity = "回族";
    if (county.province == 15 && roll < 17) p.ethnicity = "蒙古族";
    if (county.province == 52 && roll < 20) p.ethnicity = roll < 11 ? "苗族" : "布依族";
    if (county.province == 53 && roll < 12) p.ethnicity = "彝族";
    if (county.province == 22 && roll < 4) p.ethnicity = "朝鲜族";
    if (county.province == 21 && roll < 12) p.ethnicity = "满族";
    if (county.province == 43 && roll < 10) p.ethnicity = "土家族";
    p.name += kSurnames.Pick(rng);
    auto given = [&] { return male ? PickFrom(kMaleGiven, rng) : PickFrom(kFemaleGiven, rng); };
    p.name += given();
    if (rng.Below(100) < 78) p.name += given();
  }

  p.birthplace.assign(county.code_text, 6);
  SetAddress(p.hukou_address, county, rng);
  const Tables::County& current = rng.Below(100) < 75 ? county : t_->RandomCounty(rng);
  p.current_county = current.code;
  SetAddress(p.current_address, current, rng);

  p.phone_count = rng.Below(100) < 20 ? 2 : 1;
  for (int j = 0; j < p.phone_count; ++j) {
    uint64_t v = t_->phone_perm.Forward(index * 2 + static_cast<uint64_t>(j));
    std::string& phone = p.phones[static_cast<size_t>(j)];
    phone.clear();
    AppendDigits(phone, kMobilePrefixes[v / 100'000'000ULL], 3);
    AppendDigits(phone, v % 100'000'000ULL, 8);
  }

  int base;
  if (age < 16) {
    base = 75 + age * 6;
  } else {
    base = male ? 170 : 159;
  }
  p.height_cm = base - 8 + static_cast<int>(rng.Below(17));
  if (age < 7) {
    p.education = "none";
  } else if (age < 13) {
    p.education = "primary";
  } else if (age < 16) {
    p.education = "junior_secondary";
  } else {
    p.education = kEducation.Pick(rng);
  }
  if (age < 22) {
    p.marital_status = "single";
  } else {
    uint32_t m = rng.Below(100);
    p.marital_status = m < 72 ? "married" : m < 84 ? "single" : m < 92 ? "divorced" : "widowed";
    if (age > 75 && m < 30) p.marital_status = "widowed";
  }
  p.notes = rng.Below(100) < 5 ? PickFrom(kNotes, rng) : std::string_view();
}

// ---------------------------------------------------------------------------
// Cases

CaseGenerator::CaseGenerator(uint64_t seed, uint64_t population)
    : seed_(seed), population_(std::max<uint64_t>(1, population)), persons_(seed) {}

void CaseGenerator::At(uint64_t index, CaseRecord& c) const {
  Rng rng(seed_ * 0xd1b54a32d192ed03ULL ^ Mix(index + 0x6361ULL));
  int64_t first = DaysFromCivil({2010, 1, 1});
  int64_t days = DaysFromCivil({2023, 12, 31}) - first + 1;
  int64_t opened = first + static_cast<int64_t>(rng.Below(static_cast<uint32_t>(days)));
  SetDate(c.opened_on, opened);
  c.category = kCategories.Pick(rng);
  c.person_count =
      1 + static_cast<int>(rng.Below(100) < 35) + static_cast<int>(rng.Below(100) < 15);
  static constexpr std::string_view kFirstRole[] = {"reporter", "victim"};
  static constexpr std::string_view kOtherRoles[] = {"suspect", "witness", "victim", "suspect"};
  PersonRecord subject;
  for (int k = 0; k < c.person_count; ++k) {
    uint64_t who = rng.Below64(population_);
    CaseRecord::Party& party = c.persons[static_cast<size_t>(k)];
    if (k == 0) {
      persons_.At(who, subject);  // the station is where the first party lives
      party.national_id = subject.national_id;
      party.role = PickFrom(kFirstRole, rng);
    } else {
      persons_.NationalIdAt(who, party.national_id);
      party.role = PickFrom(kOtherRoles, rng);
    }
  }
  c.station = std::to_string(subject.current_county);
  c.case_no.clear();
  c.case_no.push_back('A');
  c.case_no += c.station;
  c.case_no.append(c.opened_on, 0, 4);
  AppendDigits(c.case_no, index + 1, 10);
  c.summary = CaseSummary(c.category);
  c.status = kCaseStatus.Pick(rng);
  c.monitor = rng.Below(100) < 3;
}

// ---------------------------------------------------------------------------
// Deliveries

DeliveryGenerator::DeliveryGenerator(uint64_t seed, uint64_t population)
    : seed_(seed), population_(std::max<uint64_t>(1, population)), persons_(seed) {}

void DeliveryGenerator::At(uint64_t index, DeliveryRecord& d) const {
  static const Permutation waybills(1'000'000'000'000ULL, 0x77617962696c6cULL);
  Rng rng(seed_ * 0xa0761d6478bd642fULL ^ Mix(index + 0x6465ULL));
  int64_t first = DaysFromCivil({2019, 1, 1});
  int64_t days = DaysFromCivil({2023, 12, 31}) - first + 1;
  SetDate(d.shipped_on, first + static_cast<int64_t>(rng.Below(static_cast<uint32_t>(days))));
  d.courier = kCouriers.Pick(rng);
  d.waybill_no.clear();
  for (char ch : d.courier.substr(0, 2)) d.waybill_no.push_back(static_cast<char>(ch - 'a' + 'A'));
  // Unique across the data set: a permutation of the index (seeded per data set).
  AppendDigits(d.waybill_no, waybills.Forward((index + Mix(seed_)) % 1'000'000'000'000ULL), 12);
  PersonRecord p;
  persons_.At(rng.Below64(population_), p);
  d.recipient_name = p.name;
  d.recipient_phone = p.phones[rng.Below(static_cast<uint32_t>(p.phone_count))];
  d.recipient_address = p.current_address;
  d.instructions = rng.Below(100) < 30 ? PickFrom(kInstructions, rng) : std::string_view();
}

StatusOr<std::unordered_set<uint64_t>> ChooseCanaries(uint64_t seed, uint64_t count,
                                                      uint64_t canaries) {
  if (canaries > count) {
    return InvalidArgument("more canaries (" + std::to_string(canaries) + ") than records (" +
                               std::to_string(count) + ")",
                           "too_many_canaries");
  }
  std::unordered_set<uint64_t> out;
  if (canaries == 0) return out;
  Permutation perm(count, Mix(seed ^ 0x63616e617279ULL));
  for (uint64_t k = 0; k < canaries; ++k) out.insert(perm.Forward(k));
  return out;
}

}  // namespace warden::schema
