#!/usr/bin/env python3
"""SPLIT-notext/: the queries of SPLIT whose media scene has no text overlay (those scenes are byte-identical in worlds
v1 and v1.1), for the tasks whose query or candidates are one scene's media."""
import json, os, sys
world, split = sys.argv[1], sys.argv[2]
texts = {}
for line in open(os.path.join(world, "scenes.jsonl")):
    s = json.loads(line); texts["../" + s["media"]] = bool(s["texts"])
src, dst = os.path.join(world, split), os.path.join(world, split + "-notext")
os.makedirs(dst, exist_ok=True)
bench = json.load(open(os.path.join(src, "bench.json")))
tasks = []
for t in bench["tasks"]:
    if "retrieval" in t["name"] and "moment" not in t["name"]: continue
    keep = []
    for line in open(os.path.join(src, t["file"])):
        q = json.loads(line)
        sides = [q["query"]] + q["candidates"]
        media = {s.get("image") or s.get("video") for s in sides} - {None}
        if media and not any(texts[m] for m in media): keep.append(line)
    with open(os.path.join(dst, t["file"]), "w") as f: f.writelines(keep)
    chance = sum(1 / len(json.loads(l)["candidates"]) for l in keep) / len(keep)
    tasks.append({"name": t["name"], "file": t["file"], "chance": round(chance, 6), "count": len(keep)})
json.dump({"format": bench["format"], "version": bench["version"], "split": split, "tasks": tasks}, open(os.path.join(dst, "bench.json"), "w"))
print({t["name"]: t["count"] for t in tasks})
