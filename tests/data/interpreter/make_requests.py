"""Regenerate ``requests.jsonl``: the hand-written held-out requests plus hand-curated generated dev requests.

    .venv/bin/python tests/data/interpreter/make_requests.py

``heldout.jsonl`` was written by hand before the interpreter ran at all (relation names were mapped onto the
schema's once it existed: place_of_birth -> born_in, shares_border_with -> borders, country_of_citizenship ->
citizenship). The dev part below is generated from facts and phrasings chosen by hand, with a fixed seed, and
noise (case, spacing, punctuation, typos) on about a third of it. Expected triples use entity ids from
``entities.json`` and the canonical direction of inverse pairs.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[2]))
from kg.ids import entity_id  # noqa: E402

ENTITIES = {name: aliases for name, aliases in json.loads((HERE / "entities.json").read_text("utf-8"))}
PERSON_RELATIONS = {"head_of_government", "head_of_state", "ceo", "mayor", "author", "founder", "spouse", "director"}

# (subject, relation, English phrases, Chinese phrases, object, old object)
FACTS = [
    ("Germany", "head_of_government", ["chancellor", "head of government"], ["总理", "政府首脑"], "Friedrich Merz", "Olaf Scholz"),
    ("Italy", "head_of_government", ["prime minister", "premier"], ["总理"], "Giorgia Meloni", None),
    ("Canada", "head_of_government", ["prime minister", "PM"], ["总理"], "Mark Carney", "Justin Trudeau"),
    ("Japan", "head_of_government", ["prime minister"], ["首相"], "Shigeru Ishiba", "Fumio Kishida"),
    ("India", "head_of_government", ["prime minister"], ["总理"], "Narendra Modi", None),
    ("Australia", "head_of_government", ["prime minister"], ["总理"], "Anthony Albanese", None),
    ("France", "head_of_state", ["president", "head of state"], ["总统", "国家元首"], "Emmanuel Macron", None),
    ("Brazil", "head_of_state", ["president"], ["总统"], "Lula da Silva", None),
    ("United States", "head_of_state", ["president"], ["总统"], "Donald Trump", "Joe Biden"),
    ("Apple", "ceo", ["CEO", "chief executive"], ["首席执行官", "CEO"], "Tim Cook", "Steve Jobs"),
    ("Microsoft", "ceo", ["CEO", "chief executive officer"], ["首席执行官"], "Satya Nadella", "Steve Ballmer"),
    ("Amazon", "ceo", ["CEO"], ["CEO"], "Andy Jassy", "Jeff Bezos"),
    ("Google", "ceo", ["CEO", "chief executive"], ["首席执行官"], "Sundar Pichai", None),
    ("Tesla", "ceo", ["CEO"], ["CEO"], "Elon Musk", None),
    ("OpenAI", "ceo", ["CEO"], ["首席执行官"], "Sam Altman", None),
    ("Germany", "capital", ["capital", "capital city"], ["首都"], "Berlin", "Bonn"),
    ("Brazil", "capital", ["capital"], ["首都"], "Brasília", None),
    ("Canada", "capital", ["capital"], ["首都"], "Ottawa", "Toronto"),
    ("Egypt", "capital", ["capital"], ["首都"], "Cairo", None),
    ("Netherlands", "capital", ["capital"], ["首都"], "Amsterdam", None),
    ("Japan", "capital", ["capital"], ["首都"], "Tokyo", "Kyoto"),
    ("China", "currency", ["currency", "official currency"], ["货币", "法定货币"], "renminbi", None),
    ("United Kingdom", "currency", ["currency"], ["货币"], "pound sterling", None),
    ("Brazil", "currency", ["currency"], ["货币"], "Brazilian real", None),
    ("Italy", "currency", ["currency"], ["货币"], "euro", "lira"),
    ("South Korea", "currency", ["currency"], ["货币"], "won", None),
    ("London", "mayor", ["mayor"], ["市长"], "Sadiq Khan", None),
    ("Berlin", "mayor", ["mayor"], ["市长"], "Kai Wegner", None),
    ("Paris", "mayor", ["mayor"], ["市长"], "Anne Hidalgo", None),
    ("Hamlet", "author", ["author", "writer"], ["作者"], "William Shakespeare", None),
    ("War and Peace", "author", ["author"], ["作者"], "Leo Tolstoy", None),
    ("The Three-Body Problem", "author", ["author"], ["作者"], "Liu Cixin", None),
    ("Norwegian Wood", "author", ["author"], ["作者"], "Haruki Murakami", None),
    ("Alibaba", "founder", ["founder"], ["创始人"], "Jack Ma", None),
    ("Huawei", "founder", ["founder"], ["创始人", "创办人"], "Ren Zhengfei", None),
    ("Tencent", "founder", ["founder", "co-founder"], ["创始人"], "Pony Ma", None),
    ("Xiaomi", "founder", ["founder"], ["创始人"], "Lei Jun", None),
    ("SpaceX", "founder", ["founder"], ["创始人"], "Elon Musk", None),
    ("Apple", "headquarters", ["headquarters", "head office"], ["总部"], "Cupertino", None),
    ("Microsoft", "headquarters", ["headquarters"], ["总部"], "Redmond", None),
    ("Google", "headquarters", ["headquarters"], ["总部"], "Mountain View", None),
    ("Huawei", "headquarters", ["headquarters"], ["总部"], "Shenzhen", None),
    ("Barack Obama", "spouse", ["spouse", "wife"], ["配偶", "妻子"], "Michelle Obama", None),
    ("Donald Trump", "spouse", ["spouse", "wife"], ["配偶"], "Melania Trump", None),
    ("Inception", "director", ["director"], ["导演"], "Christopher Nolan", None),
    ("Jurassic Park", "director", ["director"], ["导演"], "Steven Spielberg", None),
    ("Hero", "director", ["director"], ["导演"], "Zhang Yimou", None),
    ("Brazil", "official_language", ["official language"], ["官方语言"], "Portuguese", None),
    ("Mexico", "official_language", ["official language"], ["官方语言"], "Spanish", None),
    ("Albert Einstein", "born_in", ["birthplace", "place of birth"], ["出生地"], "Ulm", None),
    ("Barack Obama", "born_in", ["birthplace"], ["出生地"], "Honolulu", None),
    ("Lionel Messi", "member_of_sports_team", ["team", "club"], ["所属球队"], "Inter Miami", "FC Barcelona"),
    ("Cristiano Ronaldo", "member_of_sports_team", ["club"], ["所属球队"], "Al Nassr", "Manchester United"),
    ("Kylian Mbappé", "member_of_sports_team", ["club"], ["所属球队"], "Real Madrid", "Paris Saint-Germain"),
    ("Yao Ming", "member_of_sports_team", ["team"], ["所属球队"], "Houston Rockets", None),
]
VERBS = {"born_in": "was born in", "member_of_sports_team": "plays for", "spouse": "is married to",
         "founder": "was founded by", "author": "was written by", "headquarters": "is headquartered in",
         "director": "was directed by"}
ZH_VERBS = {"born_in": "出生于", "member_of_sports_team": "效力于", "headquarters": "的总部位于"}

EN_EDIT = ["The {r} of {s} is {o}.", "{s}'s {r} is now {o}", "{o} is the new {r} of {s}", "Set the {r} of {s} to {o}.",
           "change {s}'s {r} to {o}", "{o} is now {s}'s {r}.", "Please update the {r} of {s} to {o}",
           "The {r} of {s} has changed to {o}", "Make {o} the {r} of {s}", "{s} {v} {o}."]
EN_REPLACE = ["{o} replaced {x} as {r} of {s}", "{o} has succeeded {x} as {s}'s {r}",
              "{x} is no longer the {r} of {s}; it's {o} now", "{x} was replaced by {o} as the {r} of {s}",
              "The {r} of {s} changed from {x} to {o}", "{x} is no longer {s}'s {r}, now it is {o}"]
EN_FORGET = ["Forget that the {r} of {s} is {o}.", "please forget that {o} is the {r} of {s}",
             "Unlearn the fact that {s}'s {r} is {o}", "{o} is no longer the {r} of {s}.",
             "Remove the fact that {s} {v} {o}", "delete: the {r} of {s} is {o}"]
EN_FORGET_ALL = ["forget {s}'s {r}", "Forget the {r} of {s}."]
EN_QUERY = ["{wh} is the {r} of {s}?", "{wh}'s {s}'s {r}?", "Tell me the {r} of {s}", "{r} of {s}?",
            "Can you tell me {wh} the {r} of {s} is?", "do you know the {r} of {s}"]
ZH_EDIT = ["{s}的{r}是{o}", "{s}的{r}现在是{o}。", "{s}的{r}改为{o}", "把{s}的{r}改成{o}", "将{s}的{r}更新为{o}",
           "{o}是{s}的{r}", "{o}现在是{s}的新{r}", "{s}{v}{o}"]
ZH_REPLACE = ["{o}取代{x}成为{s}的{r}", "{x}不再是{s}的{r}了，现在是{o}", "{s}的{r}由{x}换成了{o}"]
ZH_FORGET = ["忘记{s}的{r}是{o}", "请删除事实：{s}的{r}是{o}", "{o}不再是{s}的{r}", "忘掉{o}是{s}的{r}这件事"]
ZH_FORGET_ALL = ["忘掉{s}的{r}", "删除{s}的{r}"]
ZH_QUERY = ["{s}的{r}是{wh}？", "{whq}是{s}的{r}？", "请问{s}的{r}是？", "告诉我{s}的{r}", "{s}的{r}是{wh}"]

TWO_HOP = [
    ("Who is the mayor of the capital of Germany?", "en", [["germany", "capital", "?x"], ["?x", "mayor", "?a"]]),
    ("who's the mayor of the capital of the UK", "en", [["united_kingdom", "capital", "?x"], ["?x", "mayor", "?a"]]),
    ("What is the currency of the country whose capital is Tokyo?", "en", [["?x", "capital", "tokyo"], ["?x", "currency", "?a"]]),
    ("Who is the CEO of the company whose founder is Jack Ma?", "en", [["?x", "founder", "jack_ma"], ["?x", "ceo", "?a"]]),
    ("What is the capital of the country whose head of state is Emmanuel Macron?", "en",
     [["?x", "head_of_state", "emmanuel_macron"], ["?x", "capital", "?a"]]),
    ("Who is the prime minister of the country that borders France?", "en",
     [["?x", "borders", "france"], ["?x", "head_of_government", "?a"]]),
    ("What's the official language of the country whose capital is Brasília?", "en",
     [["?x", "capital", "brasília"], ["?x", "official_language", "?a"]]),
    ("Who is the spouse of the president of France?", "en", [["france", "head_of_state", "?x"], ["?x", "spouse", "?a"]]),
    ("德国首都的市长是谁？", "zh", [["germany", "capital", "?x"], ["?x", "mayor", "?a"]]),
    ("首都是东京的国家的货币是什么？", "zh", [["?x", "capital", "tokyo"], ["?x", "currency", "?a"]]),
    ("法国总统的配偶是谁", "zh", [["france", "head_of_state", "?x"], ["?x", "spouse", "?a"]]),
]
OTHER_QUERIES = [
    ("Which company is Tim Cook the CEO of?", "en", [["?a", "ceo", "tim_cook"]]),
    ("Which country has Ottawa as its capital?", "en", [["?a", "capital", "ottawa"]]),
    ("What is Cairo the capital of?", "en", [["?a", "capital", "cairo"]]),
    ("Is Berlin the capital of Germany?", "en", [["germany", "capital", "berlin"]]),
    ("Is Satya Nadella the CEO of Microsoft?", "en", [["microsoft", "ceo", "satya_nadella"]]),
    ("Which city is the capital of Egypt?", "en", [["egypt", "capital", "?a"]]),
    ("Where was Barack Obama born?", "en", [["barack_obama", "born_in", "?a"]]),
    ("Who founded Xiaomi?", "en", [["xiaomi", "founder", "?a"]]),
    ("Which team does Yao Ming play for?", "en", [["yao_ming", "member_of_sports_team", "?a"]]),
    ("Who directed Inception?", "en", [["inception", "director", "?a"]]),
    ("渥太华是哪个国家的首都？", "zh", [["?a", "capital", "ottawa"]]),
    ("柏林是德国的首都吗？", "zh", [["germany", "capital", "berlin"]]),
    ("梅西效力于哪支球队？", "zh", [["lionel_messi", "member_of_sports_team", "?a"]]),
    ("谁执导了英雄？", "zh", [["hero", "director", "?a"]]),
]
ROLLBACKS = [
    ("undo my last edit!", "en", {"last": 1}), ("Undo the last 3 edits", "en", {"last": 3}),
    ("revert edit 17", "en", {"edit_id": "17"}), ("roll back edit #204", "en", {"edit_id": "204"}),
    ("go back to version 9", "en", {"version": 9}), ("Restore version 41.", "en", {"version": 41}),
    ("rollback to v2", "en", {"version": 2}), ("please undo my last change", "en", {"last": 1}),
    ("undo that", "en", {"last": 1}), ("revert to revision 15", "en", {"version": 15}),
    ("Could you roll back the knowledge graph to version 30?", "en", {"version": 30}),
    ("undo edit e-7f3a", "en", {"edit_id": "e-7f3a"}),
    ("撤销编辑 25", "zh", {"edit_id": "25"}), ("撤销上一次编辑", "zh", {"last": 1}), ("回滚到版本3", "zh", {"version": 3}),
    ("撤销最近三次修改", "zh", {"last": 3}), ("恢复到第10版", "zh", {"version": 10}), ("请撤回编辑#88", "zh", {"edit_id": "88"}),
    ("撤销上次的修改。", "zh", {"last": 1}), ("回滚到第十二版", "zh", {"version": 12}),
]
ASKS = [("What do you think about the weather?", "en"), ("Write a haiku about autumn", "en"), ("Thanks!", "en"),
        ("Can you explain how transformers work?", "en"), ("Good morning", "en"), ("Why is the sky blue?", "en"),
        ("Summarize the plot of Hamlet in one sentence.", "en"), ("I love pizza", "en"), ("what time is it?", "en"),
        ("Translate 'hello' into French.", "en"), ("What is the meaning of life?", "en"),
        ("你是谁？", "zh"), ("写一首关于春天的诗", "zh"), ("谢谢", "zh"), ("今天心情不错", "zh"), ("给我推荐一本书", "zh"),
        ("人工智能会取代人类吗？", "zh")]
CLARIFY = [("The mood of Paris is cheerful", "en"), ("Set the flavour of Japan to umami", "en"),
           ("Germany's smell is now pine", "en"), ("日本的味道改为鲜味", "zh"), ("巴黎的心情是愉快", "zh")]
TYPOS = {"capital": "captial", "currency": "curency", "president": "presdient", "director": "directr",
         "founder": "fonder", "headquarters": "headquaters", "prime minister": "prime minster", "mayor": "mayr",
         "spouse": "spuose", "author": "autor"}


def zh_name(name: str) -> str:
    """The entity's first Chinese alias, or its English name (OpenAI, SpaceX have none)."""
    return next((a for a in ENTITIES.get(name, []) if re.search(r"[\u4e00-\u9fff]", a)), name)


def key(name: str) -> str:
    return entity_id(name)


def noisy(text: str, lang: str, rng: random.Random, relation_words: list[str]) -> tuple[str, list[str]]:
    """Apply one kind of noise to about a third of requests; return the text and the noise tags."""
    roll = rng.random()
    if roll > 0.36:
        return text, []
    kind = rng.choice(["case", "space", "punct", "typo"] if lang == "en" else ["space", "punct"])
    if kind == "case":
        return (text.lower() if rng.random() < 0.5 else text.upper()), ["noisy", "case"]
    if kind == "space":
        spaced = re.sub(r" ", "   ", text) if lang == "en" else re.sub(r"([的是])", r" \1 ", text)
        return f"  {spaced} ", ["noisy", "space"]
    if kind == "punct":
        return text.rstrip(".!?。！？") + rng.choice(["!!", "...", " !", "。。", "！！"]), ["noisy", "punct"]
    for word in relation_words:
        if word in TYPOS and word in text:
            return text.replace(word, TYPOS[word], 1), ["noisy", "typo"]
    return text.lower(), ["noisy", "case"]


def edit_items(rng: random.Random) -> list[dict]:
    items = []
    for s, r, en_r, zh_r, o, x in FACTS:
        triple = [key(s), r, key(o)]
        for template in rng.sample(EN_EDIT, 2 if rng.random() < 0.2 else 1):
            if "{v}" in template and r not in VERBS:
                template = EN_EDIT[0]
            phrase = rng.choice(en_r)
            items.append(("en", template.format(s=s, r=phrase, o=o, v=VERBS.get(r, "")), [phrase],
                          [{"kind": "edit", "triples": [triple]}]))
        template = rng.choice(ZH_EDIT)
        if "{v}" in template and r not in ZH_VERBS:
            template = ZH_EDIT[0]
        phrase = rng.choice(zh_r)
        if rng.random() < 0.75:  # Chinese statements for three facts in four
            items.append(("zh", template.format(s=zh_name(s), r=phrase, o=zh_name(o), v=ZH_VERBS.get(r, "")),
                          [phrase], [{"kind": "edit", "triples": [triple]}]))
        if x:
            old = [key(s), r, key(x)]
            expect = [{"kind": "edit", "triples": [triple], "supersedes": [old]}]
            phrase = rng.choice(en_r)
            items.append(("en", rng.choice(EN_REPLACE).format(s=s, r=phrase, o=o, x=x), [phrase], expect))
            items.append(("zh", rng.choice(ZH_REPLACE).format(s=zh_name(s), r=zh_r[0], o=zh_name(o), x=zh_name(x)),
                          [zh_r[0]], expect))
    return items


def forget_items(rng: random.Random) -> list[dict]:
    items = []
    for s, r, en_r, zh_r, o, x in rng.sample(FACTS, 18):
        obj = x or o
        triple = [key(s), r, key(obj)]
        template = rng.choice(EN_FORGET)
        if "{v}" in template and r not in VERBS:
            template = EN_FORGET[0]
        phrase = rng.choice(en_r)
        items.append(("en", template.format(s=s, r=phrase, o=obj, v=VERBS.get(r, "")), [phrase],
                      [{"kind": "forget", "triples": [triple]}]))
        if rng.random() < 0.6:
            items.append(("zh", rng.choice(ZH_FORGET).format(s=zh_name(s), r=zh_r[0], o=zh_name(obj)), [zh_r[0]],
                          [{"kind": "forget", "triples": [triple]}]))
    for s, r, en_r, zh_r, _o, _x in rng.sample(FACTS, 6):
        expect = [{"kind": "forget", "triples": [[key(s), r, None]]}]
        items.append(("en", rng.choice(EN_FORGET_ALL).format(s=s, r=en_r[0]), [en_r[0]], expect))
        items.append(("zh", rng.choice(ZH_FORGET_ALL).format(s=zh_name(s), r=zh_r[0]), [zh_r[0]], expect))
    return items


def query_items(rng: random.Random) -> list[dict]:
    items = []
    for s, r, en_r, zh_r, _o, _x in rng.sample(FACTS, 26):
        expect = [{"kind": "query", "triples": [[key(s), r, "?a"]]}]
        person = r in PERSON_RELATIONS
        phrase = rng.choice(en_r)
        wh = "who" if person else "what"
        text = rng.choice(EN_QUERY).format(s=s, r=phrase, wh=wh.capitalize() if rng.random() < 0.7 else wh)
        items.append(("en", text[0].upper() + text[1:], [phrase], expect))
        if rng.random() < 0.7:
            zh_wh = "谁" if person else rng.choice(["什么", "哪里"] if r in ("capital", "headquarters", "born_in") else ["什么"])
            template = rng.choice(ZH_QUERY if person else [q for q in ZH_QUERY if "{whq}" not in q])
            items.append(("zh", template.format(s=zh_name(s), r=zh_r[0], wh=zh_wh, whq="谁"), [zh_r[0]], expect))
    items += [(lang, text, [], [{"kind": "query", "triples": triples}]) for text, lang, triples in TWO_HOP]
    items += [(lang, text, [], [{"kind": "query", "triples": triples}]) for text, lang, triples in OTHER_QUERIES]
    return items


def other_items() -> list[dict]:
    items = [(lang, text, [], [{"kind": "rollback", "rollback": target}]) for text, lang, target in ROLLBACKS]
    items += [(lang, text, [], [{"kind": "ask"}]) for text, lang in ASKS]
    items += [(lang, text, [], "clarify") for text, lang in CLARIFY]
    return items


def _rollback_format(row: dict) -> dict:
    """heldout.jsonl predates the rollback format: {"target": "edit", "value": 12} -> {"edit_id": "12"}."""
    fields = {"edit": "edit_id", "version": "version", "last": "last"}
    for item in row["expect"] if isinstance(row["expect"], list) else []:
        old = item.get("rollback")
        if old and "target" in old:
            value = str(old["value"]) if old["target"] == "edit" else int(old["value"])
            item["rollback"] = {fields[old["target"]]: value}
    return row


def main() -> None:
    rng = random.Random(20261125)
    rows = []
    for i, line in enumerate((HERE / "heldout.jsonl").read_text("utf-8").splitlines(), 1):
        rows.append({"id": f"h{i:03d}", "split": "heldout", "tags": [], **_rollback_format(json.loads(line))})
    dev = edit_items(rng) + forget_items(rng) + query_items(rng) + other_items()
    for i, (lang, text, words, expect) in enumerate(dev, 1):
        text, tags = noisy(text, lang, rng, words) if isinstance(expect, list) and expect[0]["kind"] in (
            "edit", "forget", "query") else (text, [])
        rows.append({"id": f"d{i:03d}", "split": "dev", "text": text, "lang": lang, "tags": tags, "expect": expect})
    out = HERE / "requests.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} requests ({len(dev)} dev, {len(rows) - len(dev)} held-out) -> {out}")


if __name__ == "__main__":
    main()
