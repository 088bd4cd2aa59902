"""Realistic synthetic catalogs (shape and wording of the real one) for fault tests and ingest benchmarks.

    python -m kb.synthetic 2000 2026-01-01 --out big.json   # a Catalog as JSON; `kbbot ingest big.json`
"""
from __future__ import annotations

import random
from pathlib import Path

import click

from ingest.models import Catalog, Entry, entry_id

CATEGORIES = ["升级服务", "定制开发维护", "系统运维服务", "应用提升服务", "现场服务"]
DOMAINS = ["财务", "供应链", "人力资源", "生产制造", "税务", "资产", "费用", "合并报表", "预算", "成本",
           "销售", "采购", "库存", "项目", "协同办公", "移动应用", "电商", "零售", "集团管控", "共享中心"]
OBJECTS = ["数据", "系统", "流程", "接口", "报表", "权限", "凭证", "单据", "主数据", "账套"]
ACTIONS = ["迁移", "优化", "巡检", "重构", "清理", "升级", "部署", "诊断", "培训", "运维", "集成", "加固",
           "归档", "转换", "咨询"]
EDITIONS = ["", "（标准版）", "（高级版）", "（旗舰版）", "（集团版）", "（云版）", "（私有化版）", "（行业版）"]
PURPOSES = ["保障业务连续稳定运行", "帮助客户（您）提升管理效率", "确保数据准确并达成预期目标",
            "降低系统运行风险", "满足监管与审计要求", "支撑企业数字化转型"]
ITEM_TEMPLATES = [
    "方案制定：根据客户（您）{domain}业务需求，确定{object}{action}的范围和内容，制定解决方案；",
    "调研评估：对现有{domain}{object}进行全面评估，输出{action}建议；",
    "方案执行：根据相关解决方案，完成{object}{action}并记录执行过程；",
    "{action}测试：搭建测试环境，验证{domain}关键功能点；",
    "上线保障：完成正式{action}，协助上线切换；",
    "服务保障：对交付的结果持续跟进，确保服务质保期内稳定使用。",
    "知识转移：向客户（您）{domain}团队讲解{object}{action}的操作要点。",
]
EXCLUSION_TEMPLATES = ["不包含第三方产品导致的{object}问题", "不含已退出产品生命周期的金蝶产品",
                       "不包含硬件采购及{domain}业务咨询"]
NOTES = ("适用范围：客户（您）所购买或享受的服务权益应以双方签署的销售合同约定为准。"
         "本文档中描述的全部或部分服务权益可能不在客户（您）的购买或服务范围之内。")


def _name(index: int) -> tuple[str, str, str, str]:
    """A distinct product name for every index (mixed radix over the word lists)."""
    domain = DOMAINS[index % len(DOMAINS)]
    index //= len(DOMAINS)
    obj = OBJECTS[index % len(OBJECTS)]
    index //= len(OBJECTS)
    action = ACTIONS[index % len(ACTIONS)]
    index //= len(ACTIONS)
    if index >= len(EDITIONS):
        raise ValueError(f"at most {len(DOMAINS) * len(OBJECTS) * len(ACTIONS) * len(EDITIONS)} entries")
    return f"{domain}{obj}{action}服务{EDITIONS[index]}", domain, obj, action


def make_entry(index: int, rng: random.Random) -> Entry:
    product, domain, obj, action = _name(index)
    words = {"domain": domain, "object": obj, "action": action}
    description = f"金蝶为客户（您）提供{domain}{obj}{action}服务，{rng.choice(PURPOSES)}。服务内容包括："
    items = [t.format(**words) for t in rng.sample(ITEM_TEMPLATES, rng.randint(0, 5))]
    exclusions = [rng.choice(EXCLUSION_TEMPLATES).format(**words)] if rng.random() < 0.3 else []
    numbered = [f"{n}）{item}" for n, item in enumerate(items, 1)]
    text = "\n".join([description, *numbered, *(f"（注：{e}）" for e in exclusions)])
    return Entry(id=entry_id(product), product=product, category=CATEGORIES[index % len(CATEGORIES)],
                 page=index // 8 + 1, description=description, items=items, exclusions=exclusions, text=text)


def make_catalog(n_entries: int, version: str, seed: int = 0) -> Catalog:
    """`n_entries` products plus the general notes (说明), like the real catalog; deterministic per seed."""
    rng = random.Random(seed)
    entries = [make_entry(index, rng) for index in range(n_entries)]
    entries.append(Entry(id="说明", product="说明", category="说明", page=n_entries // 8 + 1,
                         description="", items=[NOTES], text=f"说明：\n（1）{NOTES}"))
    return Catalog(catalog_version=version, source=f"synthetic-{n_entries}-{version}.json", entries=entries)


@click.command()
@click.argument("n_entries", type=click.IntRange(1, None))
@click.argument("version")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--seed", default=0, show_default=True)
def main(n_entries: int, version: str, out: Path, seed: int) -> None:
    """Write a synthetic catalog as Catalog JSON, which `kbbot ingest` reads."""
    out.write_text(make_catalog(n_entries, version, seed).model_dump_json(indent=1), encoding="utf-8")
    click.echo(f"wrote {n_entries} entries, version {version}, to {out}")


if __name__ == "__main__":
    main()
