"""Reading a raw mail: parse_mail and what it gives; every other module here is its inside."""

from tracklog.maillog.parse.addresses import Address
from tracklog.maillog.parse.attachments import Part
from tracklog.maillog.parse.mail import ParsedMail, content_hash, parse_mail
from tracklog.maillog.parse.problems import PROBLEM_TEXTS, Problem, render_problem, render_problems

__all__ = [
    "PROBLEM_TEXTS",
    "Address",
    "ParsedMail",
    "Part",
    "Problem",
    "content_hash",
    "parse_mail",
    "render_problem",
    "render_problems",
]
