"""Unrelated text whose activations WISE keeps below ``alpha`` (the router's "no" examples).

Generic, non-factual text only: a fact that a later edit might install must never be a negative, or its margin
would fight that edit. Per request, the prompt with its subject replaced by neutral words and the prompt's own
tokens before the subject are added, so the memory learns the subject, not the relation template. The stand-ins
are a few well-known names of different kinds: a near miss ("The capital of Canada is" for an edit of France's
capital) teaches the memory far more than generic text; the same name as a later edit's subject does no harm,
since each edit only trains its own part of the memory.
"""

from __future__ import annotations

GENERIC_TEXT = (
    "Hello! How can I help you today?",
    "Please write a short poem about the sea.",
    "def add(a, b):\n    return a + b",
    "The quick brown fox jumps over the lazy dog.",
    "Once upon a time, there was a little girl who lived in a village.",
    "To make a cup of tea, first boil some water.",
    "2 + 2 = 4, and 3 * 5 = 15.",
    "I think that we should meet tomorrow at noon.",
    "The weather today is sunny with a light breeze.",
    "Thank you for your message. I will reply soon.",
    "In this article, we explain how to train a neural network.",
    "She opened the door and walked into the room.",
    "My favourite colour is blue because it reminds me of the sky.",
    "The meeting has been moved to Thursday afternoon.",
    "Remember to save your work before closing the program.",
    "A list of ingredients: flour, sugar, eggs, and butter.",
    "He said that the movie was better than the book.",
    "The answer to the question is not obvious at first.",
    "Summer is the warmest season of the year.",
    "Translate the following sentence into French:",
    "Good morning, everyone. Let's get started.",
    "The children played football in the park after school.",
    "This function returns the number of items in the list.",
    "What is your name?",
    "The result of the experiment was surprising.",
    "Dogs are loyal animals and make good pets.",
    "We walked along the river until the sun went down.",
    "Step 1: Open the settings menu.",
    "The train was late again this morning.",
    "It is important to drink enough water every day.",
    "The book is on the table next to the lamp.",
    "Write a story about a robot who learns to paint.",
)

#: Stand-ins for the subject: neutral words and well-known names of several kinds.
SUBJECT_FILLERS = (
    "it", "someone", "Canada", "Japan", "Brazil", "Kenya", "Norway", "India", "Mexico", "Egypt", "London", "Tokyo",
    "Albert Einstein", "Marie Curie", "William Shakespeare", "Microsoft", "the United Nations", "the Moon",
)


def subject_swapped(prompt: str, subject: str) -> list[str]:
    """The prompt with its subject replaced by each neutral filler.

    >>> subject_swapped("The capital of France is", "France")[:3]
    ['The capital of it is', 'The capital of someone is', 'The capital of Canada is']
    """
    return [prompt.replace(subject, filler, 1) for filler in SUBJECT_FILLERS if filler != subject]
