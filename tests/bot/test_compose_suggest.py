"""Follow-up questions under an answer (bot.suggest): from the catalog around what was cited, in the
question's language, two or three, never the question itself, none after an abstention."""
from __future__ import annotations

import pytest

from bot.chain import CatalogBot
from bot.compose import Composer, Quote
from bot.suggest import MAX_SUGGESTIONS, follow_ups
from ingest import load_catalog
from ingest.models import Catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def composer(catalog: Catalog) -> Composer:
    return Composer(catalog.catalog_version, lambda _: None, catalog=catalog)


def test_a_yes_suggests_the_entrys_other_items_and_its_related_product(composer: Composer, catalog: Catalog) -> None:
    upgrade = catalog.entry("升级服务")
    answer = composer.scope(upgrade, "included", upgrade.items[1], [], "zh")
    suggested = follow_ups("升级服务里会帮我们搭测试环境吗", answer, catalog)
    assert suggested[:2] == ["升级服务包括功能测试吗？", "升级服务包括上线保障吗？"]  # 方案制定 is every entry's
    assert suggested[2] == "升级服务和数据迁移服务有什么区别？"  # the same category, a shared heading


def test_a_pointer_is_suggested_first(composer: Composer, catalog: Catalog) -> None:
    upgrade, migration = catalog.entry("升级服务"), catalog.entry("数据迁移服务")
    answer = composer.scope(upgrade, "not_listed", None, [Quote(migration, migration.items[0])], "zh")
    assert follow_ups("升级服务包含数据迁移吗？", answer, catalog)[0] == "数据迁移服务包括哪些内容？"


def test_a_full_list_does_not_suggest_itself(composer: Composer, catalog: Catalog) -> None:
    answer = composer.describe([catalog.entry("升级服务")], "zh")
    suggested = follow_ups("升级服务包括哪些内容？", answer, catalog)
    assert 2 <= len(suggested) <= MAX_SUGGESTIONS
    assert not any(q.startswith("升级服务包括") for q in suggested)


def test_a_which_service_answer_suggests_the_recommended_product_and_its_other_items(composer: Composer,
                                                                                     catalog: Catalog) -> None:
    """Not the next entry of the catalog (数据库转换服务 after 性能优化服务 shares nothing with it): what the
    recommended product covers, and its items the answer named only by their headings (部署方案, 69 characters,
    is the one of 私有云部署与运维支持服务; 性能优化服务's three are short enough to be quoted whole)."""
    performance = catalog.entry("性能优化服务")
    question = "月底结账特别慢，找哪个服务？"
    answer = composer.recommend([Quote(performance, performance.items[0])], "zh", question)
    assert follow_ups(question, answer, catalog) == ["性能优化服务包括哪些内容？"]
    cloud = catalog.entry("私有云部署与运维支持服务")
    question = "服务器是我们自己的，谁来帮我们装系统？"
    answer = composer.recommend([Quote(cloud, cloud.items[1])], "zh", question)
    assert follow_ups(question, answer, catalog)[:2] == ["私有云部署与运维支持服务包括哪些内容？", "私有云部署与运维支持服务包括部署方案吗？"]


@pytest.mark.parametrize("product", ["性能优化服务", "数据库转换服务", "升级服务", "私有云部署与运维支持服务", "培训服务"])
def test_suggestions_name_only_the_answers_products_and_the_product_sharing_their_items(
        composer: Composer, catalog: Catalog, product: str) -> None:
    from bot.suggest import _related

    main = catalog.entry(product)
    related = _related(main, catalog, exclude=[main.id])
    allowed = {main.product, *([related.product] if related else [])}
    others = {e.product for e in catalog.entries} - allowed
    question = f"{product}包括硬件扩容吗？"
    for answer in (composer.recommend([Quote(main, main.description)], "zh", "系统有问题，找哪个服务？"),
                   composer.scope(main, "not_listed", None, [], "zh", closest=(main.items or [main.description])[0]),
                   composer.describe([main], "zh")):
        suggested = follow_ups(question, answer, catalog)
        assert not [q for q in suggested if any(name in q for name in others if name not in main.product)], suggested


def test_english_questions_get_english_suggestions(composer: Composer, catalog: Catalog) -> None:
    cloud = catalog.entry("私有云部署与运维支持服务")
    answer = composer.scope(cloud, "included", cloud.items[2], [], "en")
    suggested = follow_ups("Does the private cloud deployment service include data backup?", answer, catalog)
    assert suggested and all(q.isascii() for q in suggested)
    assert "How is Private Cloud Deployment and O&M Support Service different from Environment Deployment Service?" \
        in suggested


def test_nothing_after_an_abstention_or_the_general_notes(composer: Composer, catalog: Catalog) -> None:
    assert follow_ups("讲个笑话", composer.abstain("chitchat", "zh"), catalog) == []
    assert follow_ups("这些服务都能享受吗", composer.entitlement(catalog.entry("说明"), [], "zh"), catalog) == []


@pytest.mark.parametrize("question", ["升级服务里会帮我们搭测试环境吗", "系统太慢了怎么办？", "驻场服务和现场服务有什么区别？",
                                      "Does the private cloud deployment service include data backup?"])
def test_each_suggestion_is_answered_from_the_product_it_names(catalog_bot: CatalogBot, question: str) -> None:
    answer = catalog_bot.ask(question)
    suggested = follow_ups(question, answer, catalog_bot.catalog)
    assert 1 <= len(suggested) <= MAX_SUGGESTIONS and question not in suggested
    for follow_up in suggested:
        reply = catalog_bot.ask(follow_up)
        assert not reply.abstained and reply.citations, follow_up
