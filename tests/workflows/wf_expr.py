"""Evaluates the GitHub Actions expressions the workflow checks need.

The checks ask what a condition does ("does login run on a pull request?")
rather than how it is spelled, so a condition rewritten in other words still
passes and a wrong one fails. Covered: literals, context paths (a.b,
a['b']), ! == != < <= > >= && || and parentheses, with GitHub's rules: loose
equality, case-insensitive string comparison, && and || returning an
operand. Functions: the status functions (a step is taken to be on its happy
path), contains, startsWith, endsWith, format, fromJSON. Anything else raises
ExprError, so a check never passes on something it did not understand.
"""

import json
import math
import re

# Ordered: longer operators before their prefixes.
TOKEN = re.compile(r"""
    \s*(?:
      (?P<num>-?\d+(?:\.\d+)?)
    | (?P<str>'(?:[^']|'')*')
    | (?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.])
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""", re.VERBOSE)

EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
# One ${{ }} and nothing else around it.
ALONE = re.compile(r"\s*\$\{\{((?:(?!\}\}).)*)\}\}\s*", re.DOTALL)


class ExprError(ValueError):
    """An expression this evaluator cannot read."""


def tokenize(text):
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExprError(f"cannot read {text[pos:]!r}")
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


def to_number(value):
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value) if value.strip() else 0
        except ValueError:
            return math.nan
    return math.nan


def truthy(value):
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def equal(a, b):
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if type(a) is type(b):
        return a == b
    return to_number(a) == to_number(b)


def to_string(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def call(name, args):
    lname = name.lower()
    if lname in ("success", "always"):
        return True
    if lname in ("failure", "cancelled"):
        return False
    if lname == "contains":
        hay, needle = args
        if isinstance(hay, list):
            return any(equal(item, needle) for item in hay)
        return to_string(needle).lower() in to_string(hay).lower()
    if lname == "startswith":
        return to_string(args[0]).lower().startswith(to_string(args[1]).lower())
    if lname == "endswith":
        return to_string(args[0]).lower().endswith(to_string(args[1]).lower())
    if lname == "format":
        out = to_string(args[0])
        for i, arg in enumerate(args[1:]):
            out = out.replace("{%d}" % i, to_string(arg))
        return out
    if lname == "fromjson":
        return json.loads(to_string(args[0]))
    raise ExprError(f"unknown function {name}()")


class Parser:
    """Recursive descent over the tokens; evaluates as it parses."""

    def __init__(self, tokens, context):
        self.tokens = tokens
        self.pos = 0
        self.context = context

    def peek(self, value=None):
        if self.pos >= len(self.tokens):
            return None
        tok = self.tokens[self.pos]
        if value is not None and tok[1] != value:
            return None
        return tok

    def take(self, value=None):
        tok = self.peek(value)
        if tok is None:
            raise ExprError(f"expected {value or 'more'} at token {self.pos}")
        self.pos += 1
        return tok

    def parse(self):
        value = self.or_expr()
        if self.pos != len(self.tokens):
            raise ExprError(f"unexpected {self.tokens[self.pos][1]!r}")
        return value

    def or_expr(self):
        value = self.and_expr()
        while self.peek("||"):
            self.take()
            right = self.and_expr()
            value = value if truthy(value) else right
        return value

    def and_expr(self):
        value = self.cmp_expr()
        while self.peek("&&"):
            self.take()
            right = self.cmp_expr()
            value = right if truthy(value) else value
        return value

    def cmp_expr(self):
        value = self.unary()
        while self.peek() and self.peek()[1] in ("==", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            right = self.unary()
            if op == "==":
                value = equal(value, right)
            elif op == "!=":
                value = not equal(value, right)
            else:
                a, b = to_number(value), to_number(right)
                value = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        return value

    def unary(self):
        if self.peek("!"):
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self):
        kind, text = self.take()
        if text == "(":
            value = self.or_expr()
            self.take(")")
            return self.path(value)
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind != "name":
            raise ExprError(f"unexpected {text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek("("):
            return self.path(call(text, self.arguments()))
        return self.path(self.context.get(text))

    def arguments(self):
        self.take("(")
        args = []
        while not self.peek(")"):
            args.append(self.or_expr())
            if not self.peek(")"):
                self.take(",")
        self.take(")")
        return args

    # a.b.c and a['b']; a missing key is null, as in GitHub.
    def path(self, value):
        while True:
            if self.peek("."):
                self.take()
                key = self.take()[1]
            elif self.peek("["):
                self.take()
                key = self.or_expr()
                self.take("]")
            else:
                return value
            value = value.get(key) if isinstance(value, dict) else None


def evaluate(expression, context):
    """The value of one expression, without ${{ }}."""
    return Parser(tokenize(expression), context).parse()


def evaluate_value(value, context):
    """A workflow value: one ${{ }} alone keeps its type, else text is spliced."""
    if not isinstance(value, str):
        return value
    alone = ALONE.fullmatch(value)
    if alone:
        return evaluate(alone.group(1), context)
    return EMBEDDED.sub(lambda m: to_string(evaluate(m.group(1), context)), value)


def evaluate_if(condition, context):
    """Whether an if: lets its step or job run (no if: means it runs)."""
    if condition is None:
        return True
    if isinstance(condition, bool):
        return condition
    alone = ALONE.fullmatch(condition)
    return truthy(evaluate(alone.group(1) if alone else condition, context))
