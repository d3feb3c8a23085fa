# The motion trace (PatchEmbed.Trace, BtokConfig.MotionTrace) recomputed in plain Python from the decoded val clips of
# val-dir4 (8 frames at 96 px, as the model sees them): per picked frame (first, middle, last) the centre column, the
# centre row and the amount. Shows that the trace separates the four directions on most static-camera clips.
# Usage: python3 trace-probe.py > trace-probe-val.txt (needs ffmpeg; world at artifacts/synth/default-v1).
import json,subprocess,sys,os
base='/work/main/artifacts/synth/default-v1/val-dir4/'
S=96
def frames(path):
    dur=float(subprocess.check_output(['ffprobe','-v','error','-show_entries','format=duration','-of','csv=p=0',path]).decode())
    raw=subprocess.check_output(['ffmpeg','-v','error','-i',path,'-vf',f'fps={8/dur},scale={S}:{S}','-frames:v','8','-f','rawvideo','-pix_fmt','rgb24','-'])
    n=len(raw)//(S*S*3)
    return [raw[i*S*S*3:(i+1)*S*S*3] for i in range(n)]
def trace(fr):
    F=len(fr); picked=[0,F//2,F-1]; out=[]
    # per-pixel median over frames (lower median)
    k=(F+1)//2-1
    med=bytearray(S*S*3)
    for p in range(S*S*3):
        med[p]=sorted(f[p] for f in fr)[k]
    for i in picked:
        f=fr[i]
        m=[ (abs(f[3*q]-med[3*q])+abs(f[3*q+1]-med[3*q+1])+abs(f[3*q+2]-med[3*q+2]))/3 for q in range(S*S)]
        mean=sum(m)/len(m); m=[max(0,v-mean) for v in m]; tot=sum(m)+1e-6
        x=sum(v*(-1+2*(q%S)/(S-1)) for q,v in enumerate(m))/tot
        y=sum(v*(-1+2*(q//S)/(S-1)) for q,v in enumerate(m))/tot
        out.append((round(x,2),round(y,2),round(tot)))
    return out
names=['moving left','moving right','moving up','moving down']
for line in list(open(base+'directions.jsonl'))[:24]:
    q=json.loads(line); path=os.path.normpath(base+q['query']['video'])
    t=trace(frames(path))
    sid=os.path.basename(path)[:-4]
    print(names[q['answer']].ljust(13), t, sid)
