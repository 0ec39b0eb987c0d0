"""The reference the Rust embedder is checked against (semantic/tests/reference.rs).

Tokens come from Hugging Face's own `tokenizers` package reading the model's
`tokenizer.json`-equivalent vocabulary (BertWordPieceTokenizer, lower case, accents
stripped), so the Rust tokenizer is compared with the implementation the model was trained
with. The encoder is BERT's forward pass written out in NumPy from the model's weights
(`safetensors.numpy`), independent of the Rust code; the output is the sentence-transformers
pipeline of all-MiniLM-L6-v2: mean pooling, then unit length.

    python semantic/minilm/reference.py MODEL_DIR compare < tokens.jsonl  # {text, ids} lines
    python semantic/minilm/reference.py MODEL_DIR fixture > semantic/tests/reference.json

Needs numpy, tokenizers and safetensors (a scratch virtualenv; not part of `make test`,
which only reads the committed fixture).
"""

import json
import math
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import BertWordPieceTokenizer

MAX_TOKENS = 256

SENTENCES = [
    "Senior Backend Engineer (Go, Kubernetes) – Remote within the EU",
    "We are hiring a Staff Site Reliability Engineer to run our k8s platform on AWS.",
    "Recruiter, Technical Hiring — you will source and interview software engineers.",
    "Entwickler (m/w/d) für Backend-Systeme in Berlin, hybrid, 65–80 T€ pro Jahr.",
    "Data scientist, junior: Python, SQL, A/B testing; hybrid in London.",
    "Café au lait, naïve résumé — ümlauts & accents; CJK 日本語 too.",
]


def tokenizer(model_dir):
    return BertWordPieceTokenizer(
        f"{model_dir}/vocab.txt", lowercase=True, strip_accents=None, clean_text=True,
        handle_chinese_chars=True,
    )


def ids(tok, text):
    out = tok.encode(text).ids
    if len(out) > MAX_TOKENS:
        out = out[: MAX_TOKENS - 1] + [out[-1]]
    return out


def layer_norm(x, g, b, eps=1e-12):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * g + b


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def embed(w, token_ids, heads=12, layers=6):
    n = len(token_ids)
    x = (
        w["embeddings.word_embeddings.weight"][token_ids]
        + w["embeddings.position_embeddings.weight"][:n]
        + w["embeddings.token_type_embeddings.weight"][0]
    ).astype(np.float64)
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])

    def lin(name, v):
        return v @ w[f"{name}.weight"].T.astype(np.float64) + w[f"{name}.bias"]

    d = x.shape[1] // heads
    for i in range(layers):
        p = f"encoder.layer.{i}"
        q = lin(f"{p}.attention.self.query", x).reshape(n, heads, d).transpose(1, 0, 2)
        k = lin(f"{p}.attention.self.key", x).reshape(n, heads, d).transpose(1, 0, 2)
        v = lin(f"{p}.attention.self.value", x).reshape(n, heads, d).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, heads * d)
        a = layer_norm(
            lin(f"{p}.attention.output.dense", ctx) + x,
            w[f"{p}.attention.output.LayerNorm.weight"],
            w[f"{p}.attention.output.LayerNorm.bias"],
        )
        inner = gelu(lin(f"{p}.intermediate.dense", a))
        x = layer_norm(
            lin(f"{p}.output.dense", inner) + a,
            w[f"{p}.output.LayerNorm.weight"],
            w[f"{p}.output.LayerNorm.bias"],
        )
    mean = x.mean(0)
    return mean / np.linalg.norm(mean)


def main():
    model_dir, mode = sys.argv[1], sys.argv[2]
    tok = tokenizer(model_dir)
    if mode == "compare":
        # stdin: {"text", "ids"} lines (the timing example with SEMANTIC_DUMP_TOKENS set).
        total = differ = 0
        for line in sys.stdin:
            case = json.loads(line)
            total += 1
            if ids(tok, case["text"]) != case["ids"]:
                differ += 1
                print("differs:", case["text"][:80])
        print(f"{total - differ} of {total} texts tokenized identically")
        sys.exit(1 if differ else 0)
    w = load_file(f"{model_dir}/model.safetensors")
    cases = []
    for text in SENTENCES:
        token_ids = ids(tok, text)
        cases.append({"text": text, "ids": token_ids, "embedding": [round(float(v), 7) for v in embed(w, token_ids)]})
    json.dump({"maxTokens": MAX_TOKENS, "cases": cases}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
