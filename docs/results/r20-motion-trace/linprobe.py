# Usage: python3 linprobe.py RUN EPOCHS, after dumping query embeddings (main's --embeddings; the branch's
# MEDIASDK_DUMP_QUERIES wrote the same fields under "e"):
#   mediasdk eval --model artifacts/train/btok-tiny-RUN --bench W/train-dir4all --embeddings /tmp/probe/RUN-train-dir4all.jsonl
#   mediasdk eval --model artifacts/train/btok-tiny-RUN --bench W/val-dir4 --embeddings /tmp/probe/RUN-val-dir4.jsonl
# (train-dir4all: make-train-dir4.py without its 120 limit, all 608 training direction clips.)
# Multinomial logistic regression (L2) on query embeddings: train on the training clips, score on val clips.
import json,math,sys,random
def load(p,task='directions'):
    X=[];Y=[]
    for l in open(p):
        d=json.loads(l)
        if d['task']!=task: continue
        X.append(d['embedding'] if 'embedding' in d else d['e']);Y.append(d['answer'])
    return X,Y
def fit(X,Y,K=4,l2=1e-3,epochs=300,lr=0.5):
    D=len(X[0]); W=[[0.0]*D for _ in range(K)]; b=[0.0]*K
    # standardise
    mu=[sum(x[j] for x in X)/len(X) for j in range(D)]
    sd=[math.sqrt(sum((x[j]-mu[j])**2 for x in X)/len(X))+1e-6 for j in range(D)]
    Xs=[[ (x[j]-mu[j])/sd[j] for j in range(D)] for x in X]
    n=len(X)
    for ep in range(epochs):
        gW=[[0.0]*D for _ in range(K)]; gb=[0.0]*K
        for x,y in zip(Xs,Y):
            z=[sum(W[k][j]*x[j] for j in range(D))+b[k] for k in range(K)]
            m=max(z); e=[math.exp(v-m) for v in z]; s=sum(e); p=[v/s for v in e]
            for k in range(K):
                g=p[k]-(1 if k==y else 0)
                gb[k]+=g
                row=gW[k]
                for j in range(D): row[j]+=g*x[j]
        for k in range(K):
            b[k]-=lr*gb[k]/n
            for j in range(D): W[k][j]-=lr*(gW[k][j]/n+l2*W[k][j])
    return W,b,mu,sd
def acc(model,X,Y):
    W,b,mu,sd=model; K=len(W); c=0
    for x,y in zip(X,Y):
        xs=[(x[j]-mu[j])/sd[j] for j in range(len(x))]
        z=[sum(W[k][j]*xs[j] for j in range(len(xs)))+b[k] for k in range(K)]
        c+= (max(range(K),key=lambda k:z[k])==y)
    return c/len(Y)
r=sys.argv[1]
Xt,Yt=load(f'/tmp/probe/{r}-train-dir4all.jsonl'); Xv,Yv=load(f'/tmp/probe/{r}-val-dir4.jsonl')
m=fit(Xt,Yt,epochs=int(sys.argv[2]) if len(sys.argv)>2 else 150)
print(r,'train acc %.3f  val acc %.3f  (n %d / %d, chance 0.25)'%(acc(m,Xt,Yt),acc(m,Xv,Yv),len(Yt),len(Yv)))
