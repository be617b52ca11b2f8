"""Chinese sentence frames. The matcher's copy of the text has no spaces next to CJK characters and full-width
punctuation folded to ASCII (，→, ？→? ！→! ；→; ：→:), so templates are written that way.

Frames that join subject and relation without 的 ("英国首相") are alias-only: with a generic relation slot
the boundary between the two would be a guess.
"""

from __future__ import annotations

from interpreter.patterns.frames import Action, FrameSpec, WrapperSpec

_ENT = r"(?:[^。!?;,、.]|\.(?=[A-Za-z0-9]))+?"  # a period only inside a Latin name ("J.K.罗琳", "D.C.")

FRAGMENTS: dict[str, str] = {
    "S": rf"(?P<s>{_ENT})",
    "O": rf"(?P<o>{_ENT})",
    "X": rf"(?P<x>{_ENT})",
    "R_GENERIC": r"(?P<r>[^\s的是为在了不,.!?;:。、]{1,8}?)",
    "NOW": r"(?:现在|目前|如今|现已|已经|已|当前|现任|最近|刚刚|从今天起)?",
    "NEW": r"(?:新任|新的|新|现任|当前的|目前的)?",
    "COP": r"(?:是|为|乃是|系|叫做|叫|名为)",
    "CHANGE": r"(?:改为|改成|改作|变为|变成|换成|换为|更新为|更改为|修改为|设为|设置为|设定为|调整为|成为|成了|变更为|换作"
              r"|搬到|迁到|迁至|迁往|搬迁到|迁移到)了?",
    "NEG": r"(?:已经|已)?不再(?:是|担任|任)",
    "REPLACED": r"(?:已经|已)?(?:取代|接替|代替|替代|接任|顶替)了?",
    "BECOME": r"(?:成为|担任|出任|作为|当上|当选为?)了?",
    # what introduces the new object after a negation: punctuation or a connective, never nothing
    "THEN": r"(?:(?:[,;:]|——)(?:现在|而|如今|目前|改由|取而代之的)?(?:是|为|由|换成了?|改为|变成了?|的是)?"
            r"|(?:现在|而是|如今|目前|改由)(?:是|为|由)?)",
    "WH": r"(?:什么|啥|哪里|哪儿|哪一个|哪个\w{0,3}?|哪座\w{0,2}?|哪家\w{0,2}?|哪位|哪所\w{0,2}?|哪支\w{0,2}?|哪国"
          r"|哪\w{0,2}?|谁|多少|几\w?|何处|何地|何时|何人)",
    "IS": r"(?:是|在|叫|为|位于)?",
    "ASK": r"(?:请问|请告诉我|告诉我|你知道|我想知道|想问一下|问一下)?[,:]?",
    "TELL": r"(?:请)?(?:告诉我|说说|查一下|查询|你知道|问一下)",
    "NOUN": r"[^\s的是为,。?!]{1,4}?",
    "PLEASE": r"(?:请|麻烦|帮我|请帮我)?",
    "QEND": r"(?:呢|啊|呀)?[?。]*",
    "END": r"[\s.!?。;,]*",
}

FRAMES: tuple[FrameSpec, ...] = (
    FrameSpec("neg_then", Action.NEGATE_THEN, "{X}{NEG}{S}的{NEW}{R}了?{THEN}{O}"),
    FrameSpec("neg_then_nodi", Action.NEGATE_THEN, "{X}{NEG}{S}{NEW}{R}了?{THEN}{O}", generic=False),
    FrameSpec("neg_then_subj", Action.NEGATE_THEN, "{S}的{R}{NEG}{X}了?{THEN}{O}"),
    FrameSpec("neg", Action.NEGATE, "{X}{NEG}{S}的{NEW}{R}了?"),
    FrameSpec("neg_nodi", Action.NEGATE, "{X}{NEG}{S}{NEW}{R}了?", generic=False),
    FrameSpec("neg_subj", Action.NEGATE, "{S}的{R}{NEG}{X}了?"),
    FrameSpec("replace", Action.REPLACE, "{O}{REPLACED}{X}{BECOME}{S}的{NEW}{R}"),
    FrameSpec("replace_nodi", Action.REPLACE, "{O}{REPLACED}{X}{BECOME}{S}{NEW}{R}", generic=False),
    FrameSpec("changed_from", Action.REPLACE, "{S}的{R}(?:由|从){X}(?:换成|改为|变为|变成|改成|更换为)了?{O}"),
    FrameSpec("change_from", Action.REPLACE, "{PLEASE}(?:把|将){S}的{R}(?:由|从){X}(?:换成|改为|变为|变成|改成)了?{O}"),
    FrameSpec("q_chain", Action.QUERY_CHAIN, "{ASK}{S}的?{R1}的{R2}{IS}{WH}{QEND}", generic=False),
    FrameSpec("q_whose", Action.QUERY_WHOSE, "{ASK}{R1}{COP}{O}的{NOUN}的{R2}{IS}{WH}{QEND}", generic=False),
    FrameSpec("q_that", Action.QUERY_WHOSE, "{ASK}(?:与|和|跟)?{O}{R1}的{NOUN}的{R2}{IS}{WH}{QEND}", generic=False),
    FrameSpec("q_of", Action.QUERY, "{ASK}{S}的{NEW}{R}{IS}{WH}{QEND}"),
    FrameSpec("q_of_nodi", Action.QUERY, "{ASK}{S}{NEW}{R}{IS}{WH}{QEND}", generic=False),
    FrameSpec("q_open", Action.QUERY, r"{ASK}{S}的{R}(?:是)?\?+"),
    FrameSpec("q_who", Action.QUERY, "{ASK}{WH}(?:是|为){S}的{NEW}{R}{QEND}"),
    FrameSpec("q_who_nodi", Action.QUERY, "{ASK}{WH}(?:是|为){S}{NEW}{R}{QEND}", generic=False),
    FrameSpec("q_tell", Action.QUERY, "{TELL}{S}的{R}(?:是什么|是谁|是哪里|在哪里|吗)?{QEND}"),
    FrameSpec("q_inverse", Action.QUERY_INVERSE, "{O}是{WH}的{R}{QEND}"),
    FrameSpec("q_inverse_subj", Action.QUERY_INVERSE, "{WH}的{R}(?:是|为){O}{QEND}"),
    FrameSpec("q_check", Action.QUERY_CHECK, "{O}是{S}的{R}吗{QEND}"),
    FrameSpec("q_check_nodi", Action.QUERY_CHECK, "{O}是{S}{R}吗{QEND}", generic=False),
    FrameSpec("q_check_subj", Action.QUERY_CHECK, "{S}的{R}是{O}吗{QEND}"),
    FrameSpec("q_check_whether", Action.QUERY_CHECK, "{ASK}{S}的{R}(?:是不是|是否是|是否为){O}{QEND}"),
    FrameSpec("q_check_whether_obj", Action.QUERY_CHECK, "{ASK}{O}(?:是不是|是否是|是否为){S}的{R}{QEND}"),
    FrameSpec("set", Action.EDIT, "{PLEASE}(?:把|将){S}的{R}{CHANGE}{O}"),
    FrameSpec("set_nodi", Action.EDIT, "{PLEASE}(?:把|将){S}{R}{CHANGE}{O}", generic=False),
    FrameSpec("set_verb", Action.EDIT, "{PLEASE}(?:设置|设定|修改|更新|更改){S}的{R}为{O}"),
    FrameSpec("of", Action.EDIT, "{S}的{NEW}{R}{NOW}(?:{CHANGE}|{COP}|位于|在){O}"),
    FrameSpec("of_nodi", Action.EDIT, "{S}{NEW}{R}{NOW}(?:{CHANGE}|{COP}){O}", generic=False),
    FrameSpec("obj", Action.EDIT, "{O}{NOW}(?:{COP}|{BECOME}){S}的{NEW}{R}"),
    FrameSpec("obj_nodi", Action.EDIT, "{O}{NOW}(?:{COP}|{BECOME}){S}{NEW}{R}", generic=False),
    FrameSpec("verb", Action.EDIT, "{S}{NOW}{RV}{O}", generic=False),
    FrameSpec("all", Action.FORGET_ALL, "{S}的{R}"),
    FrameSpec("all_nodi", Action.FORGET_ALL, "{S}{R}", generic=False),
)

_ALL = (Action.NEGATE_THEN, Action.NEGATE, Action.REPLACE, Action.QUERY_CHECK, Action.QUERY_CHAIN,
        Action.QUERY_WHOSE, Action.QUERY, Action.QUERY_INVERSE, Action.EDIT)
WRAPPERS: tuple[WrapperSpec, ...] = (
    WrapperSpec("forget", r"(?:请|麻烦)?(?:帮我)?(?:忘记|忘掉|遗忘|删除|删掉|移除|去掉|抹去|清除)(?:掉)?(?:一个|一条|这个|这条)?"
                r"(?:事实|知识|信息)?[:,]?(?P<rest>.+?)(?:这件事|这个事实|这条事实|这一事实|这条信息|这条知识|的事实|的信息)?"
                r"[\s.!。]*", "forget", (Action.EDIT, Action.FORGET_ALL)),
    WrapperSpec("edit", r"(?:请|麻烦)?(?:帮我)?(?:记住|记下|记录|添加|新增|更新)(?:一个|一条|这个|这条)?(?:事实|知识|信息)?[:,]?"
                r"(?P<rest>.+?)[\s.!。]*", "edit", (Action.NEGATE_THEN, Action.REPLACE, Action.EDIT)),
    WrapperSpec("filler", r"(?:我觉得|我认为|我听说|据说|顺便说一下|对了|另外|更正一下|更正|注意|最新消息|好的|嗯|哦|你好|您好)"
                r"[,:!]?(?P<rest>.+)", None, _ALL),
)
