from __future__ import annotations

import pytest

from bot.chain import CatalogBot


@pytest.fixture(scope="module")
def judge(catalog_bot: CatalogBot):
    return catalog_bot.judge


@pytest.fixture(scope="module")
def entry(catalog_bot: CatalogBot):
    return catalog_bot.catalog.entry


@pytest.mark.parametrize("product, topic, verdict", [
    ("私有云部署与运维支持服务", "数据备份", "included"),
    ("私有云部署与运维支持服务", "data backups", "included"),
    ("数据库转换服务", "工具下载", "included"),
    ("现场服务包", "24 人天", "included"),
    ("现场服务包", "36 人天", "not_listed"),
    ("历史版本基础运维服务", "第三方产品导致的问题", "excluded"),
    ("历史版本基础运维服务", "安全补丁", "excluded"),
    ("历史版本基础运维服务", "知识库", "included"),
    ("安全防护服务", "已退出生命周期的产品", "excluded"),
    ("安全防护服务", "已经停产的产品", "excluded"),  # 停产 ~ 退出产品生命周期
    ("私有云部署与运维支持服务", "环境障害的响应处理", "included"),  # Japanese-Chinese 障害 ~ 故障
    ("业务应用诊断服务", "each time, as a one-off", "included"),  # ~ 按次
    ("环境部署服务", "运维支持", "not_listed"),
    ("培训服务", "颁发证书", "not_listed"),
    ("升级服务", "采购硬件", "not_listed"),
    ("升级服务", "", "not_listed"),
])
def test_verdicts(judge, entry, product, topic, verdict):
    found, match = judge.judge(topic, entry(product))
    assert found == verdict
    if verdict == "not_listed":
        assert match is None
    else:
        assert match.clause in entry(product).text


def test_exclusion_wins_over_the_item_that_contains_it(judge, entry):
    # The item quoting 应用问题 also contains "不包含二次开发及第三方产品导致的问题".
    found, match = judge.judge("二次开发导致的问题", entry("历史版本基础运维服务"))
    assert found == "excluded" and match.kind == "exclusion"


def test_words_of_the_product_name_alone_do_not_make_an_exclusion(judge, entry):
    # 安全 is in 安全防护服务's name and in its third-party exclusion; 渗透测试 is listed.
    found, _ = judge.judge("penetration testing", entry("安全防护服务"))
    assert found == "included"


def test_covering_entries_points_to_the_product_that_lists_it(judge, catalog_bot: CatalogBot):
    others = [e for e in catalog_bot.catalog.entries if e.product != "升级服务"]
    products = [m.entry.product for m in judge.covering_entries("数据迁移", others)]
    assert products[0] == "数据迁移服务"


def test_an_english_term_reaches_the_words_of_every_group_it_is_in(judge, entry):
    # "guarantee" is a contract word in the kb glossary and 确保/保障 in data/catalog_terms.yaml.
    found, match = judge.judge("follow-up guarantee", entry("性能优化服务"))
    assert found == "included" and "持续跟进" in match.clause


def test_curated_chinese_synonyms_count(judge, entry):
    # 工程师 ~ 专家顾问 (data/catalog_terms.yaml); the kb glossary alone would not say so.
    found, match = judge.judge("固定的工程师", entry("驻场服务"))
    assert found == "included" and "固定专家顾问" in match.clause


def test_loose_glossary_neighbours_do_not_make_a_yes(judge, entry):
    # The glossary groups 运维 with 维护 for retrieval; 维护性开发服务 says 维护期, not 运维.
    assert judge.judge("日常运维", entry("维护性开发服务"))[0] == "not_listed"


@pytest.mark.parametrize("product, topic", [
    ("数据迁移服务", "确定业务需求"),  # the clause starts from the customer's need, it does not deliver it
    ("云审计服务", "财务审计本身"),  # the audit is what the extraction is for, not what is delivered
])
def test_a_need_or_purpose_in_a_clause_is_not_a_yes(judge, entry, product, topic):
    assert judge.judge(topic, entry(product))[0] == "not_listed"


@pytest.mark.parametrize("product, topic", [
    ("云审计服务", "按审计要求把数据抽出来"),
    ("云审计服务", "数据抽取"),
    ("数据迁移服务", "确定数据迁移的范围"),
])
def test_what_a_clause_delivers_is_still_a_yes(judge, entry, product, topic):
    assert judge.judge(topic, entry(product))[0] == "included"


def test_what_a_clause_names_as_outside_its_work_is_no_yes(judge, entry):
    # 「提供标准产品之外的定制开发功能的日常维护」: the custom code is maintained, the standard product is not
    assert judge.judge("标准产品的问题", entry("定制开发维护服务"))[0] == "not_listed"
    assert judge.judge("定制开发功能的日常维护", entry("定制开发维护服务"))[0] == "included"


def test_quiz_framing_and_directional_complements_are_not_what_is_asked(judge, entry):
    assert judge.judge("判断 会按财务审计的要求把数据抽取出来 对", entry("云审计服务"))[0] == "included"


def test_what_a_clause_enables_the_customer_to_do_is_no_yes_to_doing_it_for_them(judge, entry):
    # "形成新的数据中心并支持继续进行业务操作": the customer carries on its business; nobody does it for them
    assert judge.judge("会替我们做日常业务操作", entry("组织拆分服务"))[0] == "not_listed"
    assert judge.judge("新组织能继续做业务", entry("组织拆分服务"))[0] == "included"


def test_the_asked_action_must_be_in_the_clause_not_only_its_objects(judge, entry):
    # the lab's clause names 技术 and 人才 (building a talent pipeline), not recruiting
    assert judge.judge("招聘技术人才", entry("苍穹 PaaS 实验室"))[0] == "not_listed"
    assert judge.judge("打造人才梯队", entry("苍穹 PaaS 实验室"))[0] == "included"


def test_the_customers_own_system_names_are_not_what_is_asked(judge, entry):
    assert judge.judge("二开的接口跟OA对接老出问题", entry("定制开发维护服务"))[0] == "included"
    assert judge.judge("OA 系统采购", entry("定制开发维护服务"))[0] == "not_listed"


def test_own_coverage_counts_only_what_is_asked_beyond_the_products_name(judge, entry):
    """实验室 and 苍穹 are words of 苍穹 PaaS 实验室's name, covered by every clause; the licence is not."""
    lab = entry("苍穹 PaaS 实验室")
    match = judge.best_clause(judge.concepts("实验室 苍穹 license"), lab, {"description", "item"})
    assert match is not None and match.coverage > match.own_coverage == 0.0
    backup = judge.best_clause(judge.concepts("数据备份"), entry("私有云部署与运维支持服务"), {"item"})
    assert backup.own_coverage == backup.coverage == 1.0 and backup.own_concepts == 1


def test_english_function_words_and_single_letters_are_no_concepts(judge):
    """"before the move", "e.g.": of an English topic only what is asked counts (a glossary term first,
    so "move" stays; "system" is a scikit-learn stop word, and the customer's own)."""
    labels = [c.label for c in judge.concepts("assessment existing system before move e g")]
    assert labels == ["assessment", "move"]


def test_a_word_pointing_back_is_no_concept_so_the_background_is_asked(judge):
    """"…先做一轮漏扫+渗透，安全防护服务里有没有这两项": 这两项 names nothing; what it points at (漏扫, 渗透)
    is what is asked, from the question's background, and 渗透 is the usual short form of 渗透测试."""
    assert judge.concepts("这两项") == () and judge.concepts("这些") == ()
    labels = {c.label for c in judge.concepts("先做一轮漏扫+渗透 这两项")}
    assert {"漏扫", "渗透"} <= labels and "这两项" not in labels


def test_a_contract_party_or_a_when_is_no_concept(judge):
    """"乙方负责现场安装诊断工具" asks about installing the tool, "等保测评的时候要查备份记录" about backups: the
    party and the when are no part of what is asked; an auditor's firm is audit (年审, 会计师事务所)."""
    labels = {c.label for c in judge.concepts("乙方负责现场安装诊断工具 甲方 的时候 能做到")}
    assert not labels & {"乙方", "甲方", "时候", "做到"} and {"安装", "诊断工具"} <= labels
    (audit,) = judge.concepts("会计师事务所")
    assert {"审计", "年审"} <= audit.variants


def test_the_english_stop_words_are_scikit_learns():
    """data/language.yaml holds a copy (serving does not import scikit-learn); it must not drift."""
    from sklearn.feature_extraction._stop_words import ENGLISH_STOP_WORDS

    from kb.language import words

    assert set(words("en_stopwords")) == set(ENGLISH_STOP_WORDS)


def test_what_a_clause_carves_out_after_its_exclusion_marker(judge, entry):
    """「…如安全补丁…（注：不含已退出产品生命周期的金蝶产品）」 grants patches and carves out end-of-life
    products: asking for both meets the carve-out, asking for patches alone does not."""
    from bot.verdict import carved_out

    security = entry("安全防护服务")
    clause = next(c for c in security.text.split("。") if "不含已退出" in c)
    assert carved_out(clause, judge.concepts("security patches products lifecycle"))
    assert not carved_out(clause, judge.concepts("安全补丁"))


def test_an_item_named_by_its_own_heading(judge, entry):
    """"环境部署服务包括安装部署吗" names 「安装部署：…」 by its heading; the product's own name words do not count,
    and a word beyond the heading leaves it unnamed."""
    deploy = entry("环境部署服务")
    assert judge.named_heading(judge.concepts("安装部署"), deploy).startswith("安装部署：")
    assert judge.named_heading(judge.concepts("安装部署 硬件采购"), deploy) is None
    assert judge.named_heading(judge.concepts("环境"), deploy) is None  # only the product's name
