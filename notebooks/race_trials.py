import sys, time, numpy as np
from dlscratch.data.text import load_stdlib_corpus, stream_chunks
from dlscratch.data.vocabulary import Vocabulary
from dlscratch.models import RecurrentNet, TransformerLM
from dlscratch.solver import Solver
from dlscratch.experiments import train_on_the_clock
corpus = load_stdlib_corpus(max_chars=1_500_000, val_fraction=0.1, seed=0)
vocab = Vocabulary.from_text(corpus["train"], min_count=5)
tr, va = vocab.encode(corpus["train"]), vocab.encode(corpus["val"])
B,T=32,128
Xt,yt=stream_chunks(tr,B,T); Xv,yv=stream_chunks(va,B,T)
print(Xt.shape, Xv.shape, len(vocab))
data={"X_train":Xt,"y_train":yt,"X_val":Xv[:256],"y_val":yv[:256]}
secs=float(sys.argv[1])
for spec in sys.argv[2:]:
    kind, lr = spec.split(':'); lr=float(lr)
    if kind=='lstm':
        m=RecurrentNet(len(vocab), wordvec_dim=32, hidden_dim=128, cell_type='lstm', seed=0, vocab=vocab)
    else:
        pos="sinusoidal" if kind.startswith("tfs") else "learned"; D,L,H=map(int,kind.lstrip("tfs").split("x"))
        m=TransformerLM(len(vocab), block_size=T, embed_dim=D, num_heads=H, num_layers=L, positions=pos, seed=0, vocab=vocab)
    n=sum(p.size for p in m.params.values())
    s=Solver(m,data,update_rule='adam',optim_config={'learning_rate':lr},batch_size=B,shuffle=False,grad_clip=5.0,verbose=False,seed=0)
    t0=time.time(); h=train_on_the_clock(s, secs, num_points=6)
    print(spec, n, 'wall', round(time.time()-t0), 'steps', h['steps'][-1], ' '.join(f"{t:.0f}:{np.log2(v):.3f}" for t,v in zip(h['seconds'],h['val'])), flush=True)
