#!/usr/bin/env python3
"""Splits a bench folder's image_qa / video_qa by question type into a sibling bench folder (a diagnostic; the
question types are read from the question's first two words). Usage: split-qa-by-type.py BENCH OUT, then
`mediasdk eval --model M --bench OUT --cache CACHE`. OUT must be a sibling of BENCH (media paths are relative)."""
import collections, json, os, sys

bench, out = sys.argv[1], sys.argv[2]
kinds = {'what colour': 'colour', 'what is': 'motion', 'what pattern': 'pattern', 'how many': 'count',
         'what shape': 'shape', 'what word': 'word', 'which of': 'which', 'what does': 'partner'}
groups = collections.defaultdict(list)
for task in ['image_qa', 'video_qa']:
    for line in open(os.path.join(bench, task + '.jsonl')):
        question = json.loads(line)['query']['text']
        groups[task + '_' + kinds[' '.join(question.split()[:2])]].append(line)
os.makedirs(out, exist_ok=True)
tasks = []
for name, lines in sorted(groups.items()):
    open(os.path.join(out, name + '.jsonl'), 'w').writelines(lines)
    chance = sum(1 / len(json.loads(l)['candidates']) for l in lines) / len(lines)
    tasks.append({'name': name, 'file': name + '.jsonl', 'chance': round(chance, 6), 'count': len(lines)})
split = json.load(open(os.path.join(bench, 'bench.json')))['split']
json.dump({'format': 'mediasdk-bench', 'version': 1, 'split': split, 'tasks': tasks}, open(os.path.join(out, 'bench.json'), 'w'))
