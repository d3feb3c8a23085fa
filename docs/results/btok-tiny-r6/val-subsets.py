#!/usr/bin/env python3
"""Writes the val subsets behind recipe 6's diagnostic tables as bench folders that `mediasdk eval --bench` reads
(the per-label table of video classification needs none: `mediasdk eval --by-answer`).

usage: val-subsets.py WORLD [SPLIT]   (WORLD: a `mediasdk synth` output folder; SPLIT: val by default)

  SPLIT-dir4/         move clips with only the four direction labels as candidates; appear/disappear/grow/shrink
                      clips with only those four (chance 0.25 each)
  SPLIT-textdir4/     video_retrieval captions that name exactly one direction, matched text to text against the four
                      direction labels (chance 0.25)
  SPLIT-patternsize/  image_qa pattern questions split by the size of the object asked about (from scenes.jsonl)

Media paths stay relative (../media/...), so each folder sits next to SPLIT in WORLD.
"""
import json
import os
import re
import sys

DIRECTIONS = ["moving left", "moving right", "moving up", "moving down"]
CHANGES = ["appearing", "disappearing", "growing", "shrinking"]


def read(world, split, task):
    with open(os.path.join(world, split, task + ".jsonl")) as f:
        return [json.loads(line) for line in f]


def write(world, split, folder, tasks):
    dst = os.path.join(world, f"{split}-{folder}")
    os.makedirs(dst, exist_ok=True)
    listed = []
    for name, queries in tasks.items():
        if not queries:
            continue
        with open(os.path.join(dst, name + ".jsonl"), "w") as f:
            for q in queries:
                f.write(json.dumps(q) + "\n")
        chance = sum(1 / len(q["candidates"]) for q in queries) / len(queries)
        listed.append({"name": name, "file": name + ".jsonl", "chance": round(chance, 6), "count": len(queries)})
    with open(os.path.join(dst, "bench.json"), "w") as f:
        json.dump({"format": "mediasdk-bench", "version": 1, "split": split, "tasks": listed}, f)
    print(dst, [(t["name"], t["count"]) for t in listed])


def restricted(q, labels):
    return {**q, "candidates": [{"text": t} for t in labels], "answer": labels.index(q["candidates"][q["answer"]]["text"])}


def main(world, split):
    vc = read(world, split, "video_classification")
    answer = lambda q: q["candidates"][q["answer"]]["text"]
    write(world, split, "dir4", {
        "directions": [restricted(q, DIRECTIONS) for q in vc if answer(q) in DIRECTIONS],
        "appear_disappear_grow_shrink": [restricted(q, CHANGES) for q in vc if answer(q) in CHANGES],
    })

    rules = [(r"\bleft\b", 0), (r"\bright\b", 1), (r"\bup\b", 2), (r"\bdown\b", 3)]
    text = []
    for q in read(world, split, "video_retrieval"):
        caption = q["query"]["text"]
        if "bounces" in caption:  # "bounces up and down" names no direction
            continue
        hits = [i for pattern, i in rules if re.search(pattern, caption)]
        if len(hits) == 1:
            text.append({"query": {"text": caption}, "candidates": [{"text": d} for d in DIRECTIONS], "answer": hits[0], "tags": []})
    write(world, split, "textdir4", {"text_directions": text})

    scenes = {}
    with open(os.path.join(world, "scenes.jsonl")) as f:
        for line in f:
            s = json.loads(line)
            if s["split"] == split:
                scenes[os.path.basename(s["media"])] = s
    by_size = {}
    for q in read(world, split, "image_qa"):
        m = re.match(r"what pattern does the (.+) (\w+) have\?", q["query"]["text"].lower())
        if not m:
            continue
        s = scenes[os.path.basename(q["query"]["image"])]
        (obj,) = [o for o in s["objects"] if o["colour"] == m.group(1) and o["shape"] == m.group(2)]
        by_size.setdefault("pattern_" + obj["size"], []).append(q)
    write(world, split, "patternsize", dict(sorted(by_size.items())))


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else "val")
