"""The answer shape customers read (#12): the first sentence answers, [n] markers in the text, one
clause-level citation per [n] in [n] order, at most three quoted clauses in scope and which-service
answers, no filler, short; "what does P include" lists the items by their headings.

The shapes are tested on the Composer with the decision given (the decision module is tested apart);
the properties every answer keeps, whatever is decided, on the real bot."""
from __future__ import annotations

import re

import pytest

from bot.chain import CatalogBot
from bot.compose import Composer, Quote, Removed, gist, problem_words, removed_products
from bot.models import Answer
from ingest import load_catalog
from ingest.models import Catalog, Entry
from kb.names import compact, load_english_names

MARKER = re.compile(r"\[(\d+)\]")
QUOTE = re.compile(r"「([^「」]+)」")
# The catalog's filler descriptions: they name the product and nothing it does.
FILLER = ["根据客户（您）性能优化的需求", "金蝶为客户（您）提供性能优化服务", "服务内容包括", "服务内容如下",
          "金蝶为客户（您）提供信创服务", "金蝶为客户（您）提供数据库转换服务", "根据客户（您）提出的数据库类型转换需求"]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def composer(catalog: Catalog) -> Composer:
    english = load_english_names()
    return Composer(catalog.catalog_version, lambda entry_id: (english.get(compact(entry_id)) or [None])[0],
                    catalog=catalog)


def entry(catalog: Catalog, product: str) -> Entry:
    found = catalog.entry(product)
    assert found is not None
    return found


def first_sentence(answer: Answer) -> str:
    """The opening sentence: the first line (a verdict word such as 包括。 opens it)."""
    return answer.answer.split("\n", 1)[0]


def cjk_length(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


def full_quotes(answer: Answer) -> list[str]:
    """The 「」 quotes that are a clause rather than a heading."""
    clauses = {c.quote for c in answer.citations}
    return [q for q in QUOTE.findall(answer.answer) if len(q) > 12 and any(q in clause for clause in clauses)]


def assert_one_citation_per_marker(catalog: Catalog, answer: Answer) -> None:
    """Markers 1..n, first used in increasing order; citation n is clause n, verbatim, with its entry's
    category and page; every 「」 in the text is catalog text; one clause, one number."""
    numbers = [int(n) for n in MARKER.findall(answer.answer)]
    assert sorted(set(numbers)) == list(range(1, len(answer.citations) + 1)), answer.answer
    assert list(dict.fromkeys(numbers)) == sorted(set(numbers)), answer.answer
    for citation in answer.citations:
        cited = catalog.entry(citation.product)
        assert cited is not None and citation.quote in cited.text
        assert (citation.category, citation.page) == (cited.category, cited.page)
    for quote in QUOTE.findall(answer.answer):
        assert any(quote in e.text for e in catalog.entries), quote
    assert len({(c.product, c.quote) for c in answer.citations}) == len(answer.citations)
    assert "来源：" not in answer.answer and "Source:" not in answer.answer  # sources live in the cards


# -- shapes, the decision given -------------------------------------------------------------------

def test_included_opens_with_the_verdict_and_the_deciding_clause(composer: Composer, catalog: Catalog) -> None:
    upgrade = entry(catalog, "升级服务")
    answer = composer.scope(upgrade, "included", "升级测试：搭建升级测试环境，执行升级操作；", [], "zh")
    assert answer.answer == "包括。升级服务的服务内容有「升级测试：搭建升级测试环境，执行升级操作」[1]。"
    assert [c.quote for c in answer.citations] == ["升级测试：搭建升级测试环境，执行升级操作；"]
    assert answer.verdict == "included"


def test_a_yes_names_the_entrys_other_items_that_share_words_with_the_question(composer: Composer,
                                                                                catalog: Catalog) -> None:
    """The deciding clause first; then at most two more items the customer's words touch, by heading, so a
    yes decided on one clause still shows the item the customer may have meant."""
    custom = entry(catalog, "定制开发维护服务")
    question = "ERP和WMS的接口是二开的，一升级接口就断，还带出了数据问题，定制开发维护服务管吗"
    answer = composer.scope(custom, "included", custom.items[0], [], "zh", question=question)
    assert answer.answer.startswith(f"包括。定制开发维护服务的服务内容有「{custom.items[0].rstrip('；;。')}」[1]，它还列出「")
    assert "集成接口问题处理支持" in answer.answer and "数据问题处理支持" in answer.answer
    assert len(answer.citations) == 3 and "定制开发方案咨询与指导" not in answer.answer  # no shared words
    unrelated = composer.scope(custom, "included", custom.items[0], [], "zh", question="定制开发维护服务管吗")
    assert "它还列出" not in unrelated.answer and len(unrelated.citations) == 1


def test_a_yes_on_an_item_many_entries_share_says_what_the_service_is(composer: Composer, catalog: Catalog) -> None:
    accounts = entry(catalog, "科目体系重构服务")
    answer = composer.scope(accounts, "included", accounts.items[0], [], "zh")
    assert answer.answer.startswith("包括。科目体系重构服务的服务内容有「方案制定：")
    assert "梳理和优化调整" in first_sentence(answer) and len(answer.citations) == 2


def test_a_purpose_clause_that_restates_the_product_in_other_words_is_filler(composer: Composer,
                                                                              catalog: Catalog) -> None:
    """数据库转换服务's description opens with 「根据客户（您）提出的数据库类型转换需求」: the 根据客户（您）…需求
    shape of 性能优化服务, 系统迁移服务 and 培训服务, with the product's name spread by 类型. A yes on its
    方案执行 item quoted it as what the service is, cut before its comma."""
    conversion = entry(catalog, "数据库转换服务")
    assert composer.is_filler(conversion, "根据客户（您）提出的数据库类型转换需求，金蝶为客户（您）提供数据库转换服务。")
    answer = composer.scope(conversion, "included", conversion.items[1], [], "zh")
    assert answer.answer == "包括。数据库转换服务的服务内容有「方案执行：提供工具下载及许可授权，执行转换方案」[1]。"
    assert [c.quote for c in answer.citations] == [conversion.items[1]]
    assert composer.lead(entry(catalog, "数据结转服务"))  # a description that says what the service does stays


def test_the_staff_copy_ready_answer_quotes_no_filler(catalog_bot: CatalogBot) -> None:
    """The staff lookup's copy-ready answer is the bot's answer with its cards as text: no purpose clause
    cut at its comma in it, in the answer or among the quotes."""
    from bot.surfaces.render import copyable_answer

    text = copyable_answer(catalog_bot.ask("数据库转换服务包括工具授权吗"))
    assert "许可授权" in text and "[1] 数据库转换服务" in text
    assert not any(filler in text for filler in FILLER), text


def test_excluded_opens_with_no_and_the_exclusion(composer: Composer, catalog: Catalog) -> None:
    legacy = entry(catalog, "历史版本基础运维服务")
    exclusion = "不包含针对软件缺陷、安全漏洞提供新的软件错误补丁、需求补丁、安全补丁等服务"
    answer = composer.scope(legacy, "excluded", exclusion, [], "zh")
    assert first_sentence(answer) == f"不包括。历史版本基础运维服务写明「{exclusion}」[1]。"
    assert answer.citations[0].quote == exclusion
    assert "自助互助式服务资源" in answer.answer  # what it does list, the item holding the exclusion aside
    assert_one_citation_per_marker(catalog, answer)
    assert cjk_length(answer.answer) < 150


def test_not_listed_says_so_first_then_the_product_that_lists_it(composer: Composer, catalog: Catalog) -> None:
    upgrade, migration = entry(catalog, "升级服务"), entry(catalog, "数据迁移服务")
    answer = composer.scope(upgrade, "not_listed", None, [Quote(migration, migration.items[0])], "zh",
                            closest=upgrade.items[1], question="升级服务包含数据迁移吗？")
    head = first_sentence(answer)
    assert head.startswith("升级服务的条目没有提到这一项") and "[1]" in head
    assert "这一项列在数据迁移服务中" in answer.answer and "建议了解数据迁移服务" in answer.answer
    assert list(dict.fromkeys(c.product for c in answer.citations)) == ["升级服务", "数据迁移服务"]
    assert_one_citation_per_marker(catalog, answer)
    assert len(full_quotes(answer)) <= 3 and cjk_length(answer.answer) < 150


def test_not_listed_and_unstated_no_end_with_the_contract_clause_but_an_exclusion_does_not(
        composer: Composer, catalog: Catalog) -> None:
    upgrade, notes = entry(catalog, "升级服务"), entry(catalog, "说明")
    answer = composer.scope(upgrade, "not_listed", None, [], "zh", closest=upgrade.items[1], notes=notes)
    assert "以合同约定为准" not in answer.answer  # said once, cited, at the end
    assert [c.product for c in answer.citations][0] == "升级服务" and answer.citations[-1].product == "说明"
    assert answer.answer.splitlines()[-1].startswith("以您签署的合同为准：「")
    assert_one_citation_per_marker(catalog, answer)
    english = composer.scope(upgrade, "not_listed", None, [], "en", closest=upgrade.items[1], notes=notes)
    assert "general notes say" in english.answer.splitlines()[-1] and english.citations[-1].product == "说明"
    legacy = entry(catalog, "历史版本基础运维服务")
    exclusion = "不包含针对软件缺陷、安全漏洞提供新的软件错误补丁、需求补丁、安全补丁等服务"
    excluded = composer.scope(legacy, "excluded", exclusion, [], "zh", notes=notes)
    assert all(c.product != "说明" for c in excluded.citations)


def test_not_listed_quotes_the_clause_sharing_the_questions_words(composer: Composer, catalog: Catalog) -> None:
    conversion = entry(catalog, "数据库转换服务")
    answer = composer.scope(conversion, "not_listed", None, [], "zh", closest=conversion.description,
                            question="数据库转换服务 管不管转换后系统能正常运行")
    assert "「迁移保障：在双方约定的时间内完成数据库转换，确保转换后的系统能够正常运行」[1]" in first_sentence(answer)


def test_a_pointer_to_the_asked_product_itself_is_not_a_pointer(composer: Composer, catalog: Catalog) -> None:
    cloud = entry(catalog, "私有云部署与运维支持服务")
    answer = composer.scope(cloud, "not_listed", None, [Quote(cloud, cloud.description)], "zh")
    assert "这一项列在" not in answer.answer and "「运维支持」" in answer.answer


def test_which_service_names_the_service_and_why_in_the_catalogs_words(composer: Composer, catalog: Catalog) -> None:
    performance = entry(catalog, "性能优化服务")
    answer = composer.recommend([Quote(performance, performance.description)], "zh", "月底结账特别慢，系统性能很差")
    head = first_sentence(answer)
    assert head.startswith("建议了解性能优化服务：") and "「系统性能巡检：对客户现有的系统进行环境分析」[1]" in head
    assert not any(filler in answer.answer for filler in FILLER), answer.answer  # the filler description is not the why
    assert "方案制订与执行" in answer.answer and len(full_quotes(answer)) <= 3
    assert cjk_length(answer.answer) < 150
    assert_one_citation_per_marker(catalog, answer)


def test_which_service_repeats_the_customers_problem_before_the_service(composer: Composer,
                                                                       catalog: Catalog) -> None:
    performance = entry(catalog, "性能优化服务")
    answer = composer.recommend([Quote(performance, performance.items[0])], "zh", "月底结账特别慢，找哪个服务？")
    head = first_sentence(answer)
    assert head.startswith("您提到“月底结账特别慢”，建议了解性能优化服务：")
    assert "「系统性能巡检：对客户现有的系统进行环境分析」[1]" in head
    assert cjk_length(answer.answer) < 150 and len(full_quotes(answer)) <= 3
    assert_one_citation_per_marker(catalog, answer)
    english = composer.recommend([Quote(performance, performance.items[0])], "en",
                                 "My month-end close is very slow, which service should I use?")
    assert english.answer.startswith("You mentioned “My month-end close is very slow”; the service that fits this is "
                                     "Performance Optimization Service (性能优化服务): ")


@pytest.mark.parametrize(("question", "words"), [
    ("月底结账特别慢，找哪个服务？", "月底结账特别慢"),
    ("系统太卡了，有什么服务可以帮忙？", "系统太卡了"),  # 有 is cut short by the cue: dropped
    ("老系统数据导到新系统 用哪个服务", "老系统数据导到新系统"),  # a space between Chinese words ends a clause
    ("我们想把数据库从 SQL Server 换成达梦，找哪个服务", "我们想把数据库从 SQL Server 换成达梦"),
    ("我们是做制造业的，月底结账特别慢，找哪个服务？", "我们是做制造业的，月底结账特别慢"),
    ("系统里的客户档案和供应商档案有大量重复和错误数据，还有一些业务单据要批量调整，这种需要买什么服务？",
     "系统里的客户档案和供应商档案有大量重复和…"),  # cut short
    ("Our year-end closing drags because of years of historical data. Which service helps?",
     "Our year-end closing drags because of…"),  # not inside a word
    ("月底**结账**<i>很慢</i>「包括一切」[1]，找哪个服务", "月底 结账 i 很慢 i 包括一切 1"),  # no markup, 「」 or [n]
    ("下个月要把星空从7.6升到8.x，需要找你们哪个服务？", "下个月要把星空从7.6升到8.x"),  # versions stay whole
    ("K/3 WISE 12.3 月结很慢. Which service?", "K/3 WISE 12.3 月结很慢"),
    ("1,000 多张凭证过账很慢，用哪个服务", "1,000 多张凭证过账很慢"),
    ("哪个服务能做数据库转换", None),  # nothing before the cue
    ("有什么服务？", None),
    ("系统太慢了怎么办？", None),  # no cue: which part is the problem is not known
])
def test_the_problem_in_the_customers_words_is_the_question_before_its_cue(question: str, words: str | None) -> None:
    assert problem_words(question) == words


def test_which_service_adds_the_clause_that_echoes_the_problem(composer: Composer, catalog: Catalog) -> None:
    cloud = entry(catalog, "私有云部署与运维支持服务")
    answer = composer.recommend([Quote(cloud, cloud.description)], "zh",
                                "服务器放在我们自己机房，想让你们帮装好系统，以后还帮忙日常巡检、出了故障帮处理")
    assert "系统环境巡检" in first_sentence(answer) and "环境故障" in first_sentence(answer)
    assert len(full_quotes(answer)) <= 3


def test_two_needs_get_a_service_each(composer: Composer, catalog: Catalog) -> None:
    training, carry = entry(catalog, "培训服务"), entry(catalog, "数据结转服务")
    answer = composer.recommend([Quote(training, training.description), Quote(carry, carry.description)], "zh")
    assert answer.answer.startswith("建议分别了解培训服务（「") and "数据结转服务（「" in answer.answer
    assert [c.product for c in answer.citations] == ["培训服务", "数据结转服务"]


def test_what_does_p_include_lists_the_items_by_heading_each_cited(composer: Composer, catalog: Catalog) -> None:
    """Each item led by its heading; an item of up to 72 characters whole (上线保障 alone hides 上线切换, 运维支持
    hides 产品补丁更新、数据备份), a longer one by its heading, its clause in the card."""
    upgrade = entry(catalog, "升级服务")
    answer = composer.describe([upgrade], "zh")
    for heading in ("方案制定", "升级测试", "功能测试", "上线保障"):
        assert re.search(rf"「{heading}[^」]*」\[\d+\]", answer.answer), answer.answer  # led by the heading
    assert "「上线保障：完成正式升级，上线切换」[" in answer.answer
    assert [c.quote for c in answer.citations if c.quote in upgrade.items] == upgrade.items  # full clauses in the cards
    assert_one_citation_per_marker(catalog, answer)
    cloud = entry(catalog, "私有云部署与运维支持服务")
    answer = composer.describe([cloud], "zh")
    # 69 characters: shown whole where the answer is the list (its 软硬件资源配置清单 is what customers ask)
    assert "指导客户（您）制定软硬件资源配置清单、设计部署方案」[" in answer.answer, answer.answer
    legacy = entry(catalog, "历史版本基础运维服务")
    longest = max(legacy.items, key=len)  # 91 characters: its opening, its exclusions stated apart
    assert composer.substance(legacy, longest) not in composer.describe([legacy], "zh").answer
    assert "「运维支持：针对产品运维内容提供技术支持，包括产品补丁更新、数据备份、系统环境巡检以及响应处理环境故障服务」[" in answer.answer


def test_items_whose_heading_many_entries_share_keep_what_they_do(composer: Composer, catalog: Catalog) -> None:
    """方案执行 / 服务保障 say nothing alone: the item's own words follow them."""
    answer = composer.describe([entry(catalog, "数据库转换服务")], "zh")
    assert "「调研及方案设计：调研评估，提供数据库转换方案」[" in answer.answer
    assert "「迁移保障：在双方约定的时间内完成数据库转换，确保转换后的系统能够正常运行」[" in answer.answer
    assert "「方案执行：提供工具下载及许可授权，执行转换方案」[" in answer.answer
    assert not any(filler in answer.answer for filler in FILLER)


def test_comparison_states_what_is_shared_and_what_only_one_lists(composer: Composer, catalog: Catalog) -> None:
    setup, cloud = entry(catalog, "环境部署服务"), entry(catalog, "私有云部署与运维支持服务")
    answer = composer.compare([setup, cloud], "zh")
    assert "都列有「部署方案」[3][4]、「安装部署」[5][6]。" in answer.answer
    contrast = answer.answer.split("只有私有云部署与运维支持服务列出", 1)[1]
    assert "运维支持：" in contrast and "安装部署" not in contrast
    assert_one_citation_per_marker(catalog, answer)


def test_entitlement_quotes_the_general_notes(composer: Composer, catalog: Catalog) -> None:
    answer = composer.entitlement(entry(catalog, "说明"), [], "zh", "excluded")
    assert answer.answer.startswith("不一定。") and "销售合同" in first_sentence(answer)
    assert "明示或暗示" in answer.answer and [c.product for c in answer.citations] == ["说明"]
    assert answer.verdict == "excluded"
    unasked = composer.entitlement(entry(catalog, "说明"), [], "zh")  # "服务权益以什么为准": no yes/no asked
    assert not unasked.answer.startswith("不一定") and unasked.verdict is None and "销售合同" in unasked.answer


def test_english_answers_keep_english_names_beside_chinese_quotes(composer: Composer, catalog: Catalog) -> None:
    cloud = entry(catalog, "私有云部署与运维支持服务")
    answer = composer.scope(cloud, "included", cloud.items[2], [], "en")
    assert answer.answer.startswith("Yes. Private Cloud Deployment and O&M Support Service (私有云部署与运维支持服务)")
    assert "数据备份" in answer.answer and answer.answer.endswith("[1].")
    described = composer.describe([entry(catalog, "历史版本基础运维服务")], "en")
    assert described.answer.startswith("Legacy Version Basic O&M Service (历史版本基础运维服务): 「")
    assert "It covers 2 items" in described.answer
    not_listed = composer.scope(cloud, "not_listed", None, [], "en", closest=cloud.items[0])
    assert not_listed.answer.startswith("Not stated.") and "does not mention" in not_listed.answer


def test_removed_products_are_those_older_editions_list_and_the_active_one_does_not(catalog: Catalog) -> None:
    newer = catalog.model_copy(update={"catalog_version": "2026-01-01",
                                       "entries": [e for e in catalog.entries if e.product != "培训服务"]})
    assert removed_products([catalog], newer) == [Removed("培训服务", "2025-07-01", "2026-01-01")]
    assert removed_products([newer], catalog) == []  # a newer edition adding nothing is not a removal


def test_a_removed_name_inside_a_current_one_is_not_a_removed_product(catalog: Catalog) -> None:
    newer = catalog.model_copy(update={"catalog_version": "2026-01-01",
                                       "entries": [e for e in catalog.entries if e.product != "现场服务"]})
    composer = Composer(newer.catalog_version, lambda _: None, catalog=newer,
                        removed=lambda: removed_products([catalog], newer))
    assert composer.removed_named("现场服务包一共几天") is None
    assert composer.removed_named("现场服务是什么") == Removed("现场服务", "2025-07-01", "2026-01-01")


# -- what every answer keeps, whatever is decided ---------------------------------------------------

QUESTIONS = [
    "升级服务里会帮我们搭测试环境吗",
    "历史版本基础运维服务会提供新的安全补丁吗",
    "升级服务包含数据迁移吗？",
    "培训服务会颁发职业资格证书吗",
    "系统太慢了怎么办？",
    "升级服务包含哪些内容？",
    "驻场服务和现场服务有什么区别？",
    "清单上这些服务我买了以后都能享受吗？",
    "员工培训和年度数据结转分别找哪个服务",
    "Does the private cloud deployment service include data backup?",
    "What does the legacy maintenance service cover?",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_marker_has_its_clause_and_every_clause_its_marker(catalog_bot: CatalogBot, question: str) -> None:
    answer = catalog_bot.ask(question)
    assert answer.citations and not answer.abstained
    assert_one_citation_per_marker(catalog_bot.catalog, answer)


@pytest.mark.parametrize("question", [
    "升级服务里会帮我们搭测试环境吗", "历史版本基础运维服务会提供新的安全补丁吗", "系统太慢了怎么办？",
    "性能优化服务包括硬件扩容吗",
    "我们想把数据库从 SQL Server 换成达梦，找哪个服务"])
def test_scope_and_which_answers_are_short_and_quote_at_most_three_clauses(catalog_bot: CatalogBot,
                                                                         question: str) -> None:
    answer = catalog_bot.ask(question)
    assert len(full_quotes(answer)) <= 3, answer.answer
    assert not any(filler in answer.answer for filler in FILLER), answer.answer
    assert cjk_length(answer.answer) < 150, answer.answer


def test_stream_and_answer_carry_the_same_citations(catalog_bot: CatalogBot) -> None:
    events = list(catalog_bot.stream("升级服务包含数据迁移吗？"))
    final = events[-1].final
    assert final == catalog_bot.ask("升级服务包含数据迁移吗？")
    assert "".join(e.delta for e in events[:-1]) == final.answer


def test_a_product_a_newer_edition_removed_is_named_as_removed(tmp_path) -> None:
    from kb import KnowledgeBase
    from kb.settings import Settings

    kb = KnowledgeBase.open(Settings(home=tmp_path / "kb", embeddings="fake"))
    kb.ensure_ready()
    bot = CatalogBot(kb=kb, llm=None)
    catalog = load_catalog()
    kb.ingest(catalog.model_copy(update={"catalog_version": "2026-01-01",
                                         "entries": [e for e in catalog.entries if e.product != "培训服务"]}))
    for question in ("培训服务是什么", "培训服务包括线上课程吗", "What does 培训服务 include?"):
        answer = bot.ask(question)
        assert answer.citations == [] and answer.verdict is None, answer.answer
        assert "培训服务" in answer.answer and "2026-01-01" in answer.answer, answer.answer
    assert "已" in bot.ask("培训服务是什么").answer and "removed" in bot.ask("What does 培训服务 include?").answer
    assert bot.ask("数据迁移服务是什么").citations[0].product == "数据迁移服务"  # the others are answered as before


def test_what_an_entry_includes_also_says_what_it_states_it_does_not(composer: Composer, catalog: Catalog) -> None:
    """Scope and exclusions: an exclusion inside an item whose label hides it is quoted on its own."""
    legacy = entry(catalog, "历史版本基础运维服务")
    answer = composer.describe([legacy], "zh")
    assert "「不包含二次开发及第三方产品导致的问题」" in answer.answer
    assert_one_citation_per_marker(catalog, answer)
    upgrade = composer.describe([entry(catalog, "升级服务")], "zh")
    assert "另写明" not in upgrade.answer  # nothing it excludes


def test_a_comparison_states_what_an_entry_excludes_when_its_items_hide_it(composer: Composer, catalog: Catalog) -> None:
    """"两个都叫运维，补丁谁给？": 历史版本基础运维服务's 不包含…补丁 sits inside an item the list names by its opening."""
    legacy, cloud = entry(catalog, "历史版本基础运维服务"), entry(catalog, "私有云部署与运维支持服务")
    answer = composer.compare([legacy, cloud], "zh")
    assert "另写明「不包含二次开发及第三方产品导致的问题」[" in answer.answer
    assert "「不包含针对软件缺陷、安全漏洞提供新的软件错误补丁、需求补丁、安全补丁等服务」[" in answer.answer
    assert "产品补丁更新" in answer.answer  # 运维支持 shown whole
    assert_one_citation_per_marker(catalog, answer)


def test_a_gist_keeps_what_a_clause_provides_after_an_aside(composer: Composer, catalog: Catalog) -> None:
    """历史版本基础运维服务's second item provides 本地化服务 after its aside (不包含…): the list shows it."""
    item = "针对用户在产品使用过程中遇到的应用咨询类等应用问题（不包含二次开发及第三方产品导致的问题）提供本地化服务，不包含补丁"
    assert gist(item) == "针对用户在产品使用过程中遇到的应用咨询类等应用问题（不包含二次开发及第三方产品导致的问题）提供本地化服务"
    answer = composer.describe([entry(catalog, "历史版本基础运维服务")], "zh")
    assert "提供本地化服务」[" in answer.answer


def test_a_numbered_clause_is_not_quoted_again_as_its_item(composer: Composer, catalog: Catalog) -> None:
    xinchuang = entry(catalog, "信创服务")
    numbered = "1、" + xinchuang.items[0].rstrip("；")  # as the entry's text numbers it
    answer = composer.recommend([Quote(xinchuang, numbered)], "zh", "上面要求国产化，找哪个服务")
    assert answer.answer.count("信创需求进行分析") == 1
    assert "信创部署架构方案" in answer.answer  # the other items are still listed
