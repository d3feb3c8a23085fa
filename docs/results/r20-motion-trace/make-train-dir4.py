# Builds artifacts/synth/default-v1/train-dir4: the first 120 training video-label pairs whose label is a direction,
# each asked among the four directions, as a bench (to tell "not learnt" from "learnt but not carried to val").
import json
dirs = ['moving left', 'moving right', 'moving up', 'moving down']
w = '/work/main/artifacts/synth/default-v1/'
out = []
for line in open(w + 'train.jsonl'):
    d = json.loads(line)
    if d['task'] != 'video-label' or d['positive']['text'] not in dirs: continue
    out.append({"query": {"video": "../" + d['query']['video'], "instruction": d['query'].get('instruction')},
                "candidates": [{"text": t} for t in dirs], "answer": dirs.index(d['positive']['text']), "tags": []})
    if len(out) >= 120: break
import os; os.makedirs(w + 'train-dir4', exist_ok=True)
open(w + 'train-dir4/directions.jsonl', 'w').write(''.join(json.dumps(o) + '\n' for o in out))
json.dump({"format": "mediasdk-bench", "version": 1, "split": "train",
           "tasks": [{"name": "directions", "file": "directions.jsonl", "chance": 0.25, "count": len(out)}]},
          open(w + 'train-dir4/bench.json', 'w'))
