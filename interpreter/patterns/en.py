"""English sentence frames. Relation slots ({R}, {R1}, {R2}, {RV}) are filled from the schema at compile time;
nothing here names a relation."""

from __future__ import annotations

from interpreter.patterns.frames import Action, FrameSpec, WrapperSpec

_ENT = r"(?:[^.!?;。]|(?<=\b[A-Za-z])\.|\.(?=[A-Za-z0-9]))+?"  # no sentence end inside; initials (J. K.) are fine
_WORD = r"[^\W\d_][\w'\-]*"
_STOP = r"(?!(?:is|was|are|were|has|have|had|the|a|an|of|as|to|that|which|who|whose|no|not)\b)"

FRAGMENTS: dict[str, str] = {
    "S": rf"(?P<s>{_ENT})",
    "O": rf"(?P<o>{_ENT})",
    "X": rf"(?P<x>{_ENT})",
    # A generic relation phrase: up to four words, none of them a copula or a function word.
    "R_GENERIC": rf"(?P<r>{_STOP}{_WORD}(?:\s+{_STOP}{_WORD}){{0,3}}?)",
    # ... or two short phrases joined by "of" ("head of state" when the alias tier missed it).
    "R_GENERIC_OF": rf"(?P<r>{_STOP}{_WORD}(?:\s+{_STOP}{_WORD})?\s+of\s+{_STOP}{_WORD}(?:\s+{_STOP}{_WORD})?)",
    "THE": r"(?:(?:the|a|an|its|their|his|her)\s+)?",
    "NEW": r"(?:(?:new|current|present|incumbent|actual)\s+)?",
    "NOW": r"(?:(?:now|currently|actually|officially|presently|still|henceforth)\s+)?",
    "BE": r"(?:is|was|are|were|has\s+become|have\s+become|becomes|became|will\s+be|shall\s+be|should\s+be"
          r"|is\s+going\s+to\s+be|has\s+been|had\s+been|remains|stays)",
    "CHANGED": r"(?:(?:has|have)\s+(?:been\s+)?(?:changed|updated|switched)\s+to|(?:was|is|got)\s+(?:changed|updated"
               r"|set|switched|moved)\s+to|changed\s+to|switched\s+to|moved\s+to|is\s+changing\s+to)",
    "NEGBE": r"(?:(?:is|was|are|were)\s+no\s+longer|(?:is|was|are)\s+not|isn't|wasn't|aren't)",
    "NEGV": r"(?:(?:(?:is|was|are)\s+)?no\s+longer|(?:does|did|do)\s+not|doesn't|didn't|don't|(?:has|have)\s+stopped"
            r"|stopped)",
    "AUX": r"(?:(?:is|was|are|were|has\s+been|had\s+been|has|have|had|will|now|currently|still|also)\s+){0,2}",
    "REPLACED": r"(?:(?:has|have)\s+)?(?:replaced|replaces|succeeded|succeeds|supplanted|superseded|ousted"
                r"|took\s+over\s+from|takes\s+over\s+from|taken\s+over\s+from)",
    "REPLACED_BY": r"(?:was|has\s+been|is|got|had\s+been)\s+(?:replaced|succeeded|supplanted|superseded)\s+by",
    # "...; it is Y", ", now it's Y", " - replaced by Y": what introduces the new object after a negation.
    "THEN": r"\s*(?:[,;:]|--?)?\s*(?:(?:and|but|so)\s+)?(?:(?:now|instead|rather|today)\s*,?\s+)?(?:it\s+is|it's"
            r"|it\s+has\s+become|that\s+is|that's|the\s+new\s+one\s+is|(?:(?:it|he|she)\s+)?(?:was\s+|has\s+been\s+"
            r"|is\s+|got\s+)?replaced\s+by|now\s+it\s+is|now)\s+(?:now\s+)?",
    "PLEASE": r"(?:(?:please|pls|kindly)\s+)?(?:(?:can|could|would)\s+you\s+(?:please\s+)?)?",
    "WHBE": r"(?:(?:please|so|and|ok|okay|hey)\s*,?\s+)?(?:what|who|where|which|when)(?:\s+(?:is|was|are|were)|'s|s)",
    "TELL": r"(?:please\s+)?(?:(?:can|could|would)\s+you\s+)?(?:tell\s+me|give\s+me|show\s+me|find|look\s+up"
            r"|do\s+you\s+know|i\s+(?:want|would\s+like|wanna)\s+to\s+know|i\s+wonder|name)(?:\s+(?:what|who|which"
            r"|where)(?:\s+(?:is|was)|'s)?)?",
    "TAIL_BE": r"(?:\s+(?:is|was|are))?",
    "NOUN": r"[^\W\d_]+(?:\s+[^\W\d_]+)?",
    "WHICH": r"(?:what|which|who)(?:\s+[^\W\d_]+)?",
    "POSS": r"(?:'s|')",
    "END": r"[\s.!?。;,]*",
}

# Order matters only within one action; the parser tries actions in a fixed order (see rules.py).
FRAMES: tuple[FrameSpec, ...] = (
    # "x is no longer the r of s; it is o" / "s no longer plays for x, now o"
    FrameSpec("neg_then_of", Action.NEGATE_THEN, "{X} {NEGBE} {THE}{NEW}{R} of {S}{THEN}{O}"),
    FrameSpec("neg_then_poss", Action.NEGATE_THEN, "{X} {NEGBE} {S}{POSS} {NEW}{R}{THEN}{O}"),
    FrameSpec("neg_then_subj_of", Action.NEGATE_THEN, "{THE}{R} of {S} {NEGBE} {X}{THEN}{O}"),
    FrameSpec("neg_then_subj_poss", Action.NEGATE_THEN, "{S}{POSS} {R} {NEGBE} {X}{THEN}{O}"),
    FrameSpec("neg_then_verb", Action.NEGATE_THEN, "{S} {NEGV} {RV} {X}{THEN}{O}", generic=False),
    FrameSpec("neg_of", Action.NEGATE, "{X} {NEGBE} {THE}{NEW}{R} of {S}"),
    FrameSpec("neg_poss", Action.NEGATE, "{X} {NEGBE} {S}{POSS} {NEW}{R}"),
    FrameSpec("neg_subj_of", Action.NEGATE, "{THE}{R} of {S} {NEGBE} {X}"),
    FrameSpec("neg_subj_poss", Action.NEGATE, "{S}{POSS} {R} {NEGBE} {X}"),
    FrameSpec("neg_verb", Action.NEGATE, "{S} {NEGV} {RV} {X}", generic=False),
    FrameSpec("left_as_of", Action.NEGATE, "{X} (?:has )?(?:stepped down|resigned|retired|quit|left|was fired|was dismissed"
                                           "|was removed|was ousted|was sacked) as {THE}{R} of {S}"),
    FrameSpec("left_as_poss", Action.NEGATE, "{X} (?:has )?(?:stepped down|resigned|retired|quit|left|was fired|was dismissed"
                                             "|was removed|was ousted|was sacked) as {S}{POSS} {R}"),
    FrameSpec("remove_as_of", Action.NEGATE, "{PLEASE}(?:remove|drop|delete|fire|sack) {X} as {THE}{R} of {S}"),
    FrameSpec("remove_as_poss", Action.NEGATE, "{PLEASE}(?:remove|drop|delete|fire|sack) {X} as {S}{POSS} {R}"),
    # "y replaced x as the r of s", "x was succeeded by y as s's r", "s's r changed from x to y"
    FrameSpec("replace_of", Action.REPLACE, "{O} {REPLACED} {X} as {THE}{NEW}{R} of {S}"),
    FrameSpec("replace_poss", Action.REPLACE, "{O} {REPLACED} {X} as {S}{POSS} {NEW}{R}"),
    FrameSpec("replaced_by_of", Action.REPLACE, "{X} {REPLACED_BY} {O} as {THE}{NEW}{R} of {S}"),
    FrameSpec("replaced_by_poss", Action.REPLACE, "{X} {REPLACED_BY} {O} as {S}{POSS} {NEW}{R}"),
    FrameSpec("changed_from_of", Action.REPLACE, "{THE}{R} of {S} (?:has )?(?:changed|switched|went|moved) from {X} to {O}"),
    FrameSpec("changed_from_poss", Action.REPLACE, "{S}{POSS} {R} (?:has )?(?:changed|switched|went|moved) from {X} to {O}"),
    FrameSpec("change_from_of", Action.REPLACE, "{PLEASE}(?:change|update|set|switch|move) {THE}{R} of {S} from {X} to {O}"),
    FrameSpec("change_from_poss", Action.REPLACE, "{PLEASE}(?:change|update|set|switch|move) {S}{POSS} {R} from {X} to {O}"),
    FrameSpec("replace_with_of", Action.REPLACE, "{PLEASE}replace {X} (?:with|by) {O} as {THE}{R} of {S}"),
    FrameSpec("replace_with_poss", Action.REPLACE, "{PLEASE}replace {X} (?:with|by) {O} as {S}{POSS} {R}"),
    # two-hop questions: the relation slots only take schema phrases (a generic pair would match anything)
    FrameSpec("q_chain_of", Action.QUERY_CHAIN, "{WHBE} {THE}{R2} of {THE}{R1} of {S}", generic=False),
    FrameSpec("q_chain_poss", Action.QUERY_CHAIN, "{WHBE} {THE}{R2} of {S}{POSS} {R1}", generic=False),
    FrameSpec("q_chain_tell", Action.QUERY_CHAIN, "{TELL} {THE}{R2} of {THE}{R1} of {S}{TAIL_BE}", generic=False),
    FrameSpec("q_whose", Action.QUERY_WHOSE, "{WHBE} {THE}{R2} of {THE}{NOUN} whose {R1} (?:is|was) {O}", generic=False),
    FrameSpec("q_that_verb", Action.QUERY_WHOSE, "{WHBE} {THE}{R2} of {THE}{NOUN} (?:that|which|who) {AUX}{RV1} {O}",
              generic=False),
    FrameSpec("q_that_has", Action.QUERY_WHOSE,
              "{WHBE} {THE}{R2} of {THE}{NOUN} (?:that|which) (?:has|had|have) {O} as (?:its|their|the) {R1}",
              generic=False),
    FrameSpec("q_whose_tell", Action.QUERY_WHOSE, "{TELL} {THE}{R2} of {THE}{NOUN} whose {R1} (?:is|was) {O}",
              generic=False),
    # one-hop questions
    FrameSpec("q_of", Action.QUERY, "{WHBE} {THE}{NEW}{R} of {S}"),
    FrameSpec("q_poss", Action.QUERY, "{WHBE} {S}{POSS} {NEW}{R}"),
    FrameSpec("q_which_of", Action.QUERY, "(?:which|what) {NOUN} (?:is|was) {THE}{R} of {S}"),
    FrameSpec("q_which_poss", Action.QUERY, "(?:which|what) {NOUN} (?:is|was) {S}{POSS} {R}"),
    FrameSpec("q_tell_of", Action.QUERY, "{TELL} {THE}{NEW}{R} of {S}{TAIL_BE}"),
    FrameSpec("q_tell_poss", Action.QUERY, "{TELL} {S}{POSS} {NEW}{R}{TAIL_BE}"),
    FrameSpec("q_bare_of", Action.QUERY, r"{THE}{R} of {S}\s*\?"),
    FrameSpec("q_bare_poss", Action.QUERY, r"{S}{POSS} {R}\s*\?"),
    FrameSpec("q_inverse_of", Action.QUERY_INVERSE, "{WHICH} (?:is|was) {O} {THE}{R} of"),
    FrameSpec("q_inverse_has", Action.QUERY_INVERSE, "{WHICH} (?:has|had|have) {O} as (?:its|their|his|her|the) {R}"),
    FrameSpec("q_inverse_verb", Action.QUERY_INVERSE, "{WHICH} {AUX}{RV} {O}", generic=False),
    FrameSpec("q_check_of", Action.QUERY_CHECK, r"(?:is|was) {O} {THE}{R} of {S}\s*\?"),
    FrameSpec("q_check_poss", Action.QUERY_CHECK, r"(?:is|was) {O} {S}{POSS} {R}\s*\?"),
    FrameSpec("q_check_subj_poss", Action.QUERY_CHECK, r"(?:is|was) {S}{POSS} {R} {O}\s*\?"),
    FrameSpec("q_check_subj_of", Action.QUERY_CHECK, r"(?:is|was) {THE}{R} of {S} {O}\s*\?"),
    # commands
    FrameSpec("set_of", Action.EDIT, "{PLEASE}(?:set|change|update|make|modify|correct|edit|switch) {THE}{R} of {S} "
                                     "(?:to be|to|into|as|=) {NOW}{O}"),
    FrameSpec("set_poss", Action.EDIT, "{PLEASE}(?:set|change|update|modify|correct|edit|switch) {S}{POSS} {R} "
                                       "(?:to be|to|into|as|=) {NOW}{O}"),
    FrameSpec("set_bare", Action.EDIT, "{PLEASE}(?:set|change|update) {S} {R} (?:to|=|as) {O}", generic=False),
    FrameSpec("moved_its", Action.EDIT, "{S} (?:has )?(?:moved|changed|switched|relocated|updated|set) (?:its|their|his|her) "
                                        "{R} to {NOW}{O}"),
    FrameSpec("has_new", Action.EDIT, r"{S} (?:has|have|got|gets|now has) (?:a )?new {R}\s*(?::|,|-)?\s*{O}"),
    FrameSpec("make_of", Action.EDIT, "{PLEASE}make {O} {THE}{NEW}{R} of {S}"),
    FrameSpec("make_poss", Action.EDIT, "{PLEASE}make {O} {S}{POSS} {NEW}{R}"),
    # statements
    FrameSpec("of", Action.EDIT, "{THE}{NEW}{R} of {S} (?:{CHANGED}|{BE}) {NOW}{O}"),
    FrameSpec("poss", Action.EDIT, "{S}{POSS} {NEW}{R} (?:{CHANGED}|{BE}) {NOW}{O}"),
    FrameSpec("obj_of", Action.EDIT, "{O} (?:{CHANGED}|{BE}) {NOW}{THE}{NEW}{R} of {S}"),
    FrameSpec("obj_poss", Action.EDIT, "{O} (?:{CHANGED}|{BE}) {NOW}{S}{POSS} {NEW}{R}"),
    FrameSpec("verb", Action.EDIT, "{S} {AUX}{RV} {O}", generic=False),
    # what "forget ..." may be followed by when no object is named
    FrameSpec("all_of", Action.FORGET_ALL, "{THE}{R} of {S}"),
    FrameSpec("all_poss", Action.FORGET_ALL, "{S}{POSS} {R}"),
)

_PLEASE = r"(?:(?:please|pls|kindly)\s+)?(?:(?:can|could|would)\s+you\s+(?:please\s+)?)?"
_ALL = (Action.NEGATE_THEN, Action.NEGATE, Action.REPLACE, Action.QUERY_CHECK, Action.QUERY_CHAIN,
        Action.QUERY_WHOSE, Action.QUERY, Action.QUERY_INVERSE, Action.EDIT)
WRAPPERS: tuple[WrapperSpec, ...] = (
    # "forget that ...", "please unlearn the fact that ...": a statement to forget, or "forget X's spouse"
    WrapperSpec("forget", _PLEASE + r"(?:forget|unlearn|erase|remove|delete|drop|retract|discard|scrub)(?:\s+about)?"
                r"(?:\s+the\s+(?:fact|claim|statement|info(?:rmation)?|knowledge|triple))?(?:\s+that)?\s*:?\s*"
                r"(?P<rest>.+?)[\s.!]*", "forget", (Action.EDIT, Action.FORGET_ALL)),
    # "is it true that P?": a yes/no question about the statement P
    WrapperSpec("check", r"(?:is\s+it\s+(?:true|the\s+case|correct|right)|do\s+you\s+know\s+(?:if|whether)"
                r"|(?:can|could)\s+you\s+(?:confirm|check)(?:\s+(?:if|whether))?|confirm|verify)(?:\s+that)?\s*:?\s*"
                r"(?P<rest>.+?)[\s?.!]*", "query", (Action.EDIT,)),
    # "remember that ...", "note: ...": an explicit edit
    WrapperSpec("edit", _PLEASE + r"(?:remember|note|record|learn|add|store|save|update)(?:\s+the\s+fact)?"
                r"(?:\s+that)?\s*:?\s*(?P<rest>.+?)[\s.!]*", "edit",
                (Action.NEGATE_THEN, Action.REPLACE, Action.EDIT)),
    # discourse fillers in front of anything: "I think ...", "As of today, ...", "Hi, what is ..."
    WrapperSpec("filler", r"(?:i\s+think|i\s+believe|i\s+heard|fyi|btw|by\s+the\s+way|as\s+of\s+(?:today|now|this\s+year"
                r"|\d{4})|actually|news|breaking|correction|just\s+so\s+you\s+know|for\s+your\s+information|heads\s+up"
                r"|ok(?:ay)?|so|well|hey|hi|hello)\s*[,:!-]?\s+(?P<rest>.+)", None, _ALL),
)
