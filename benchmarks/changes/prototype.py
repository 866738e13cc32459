#!/usr/bin/python3
"""Python prototype of the `geo changes detect-pairs` score (issue #5), for fast experiments on the shared labelled
pairs. It mirrors src/ChangeDetect/Geo.ChangeDetect/ChangeMeasure.cs + ChangeObjects.cs (registration is left out: the
shared pairs are aligned), prints pooled pixel P / R / F1 and the flagged share per set for the shipped score and for
each cue left out; with --built-surface, the sweep behind the built-surface cut (BuiltSurface.cs, ChangeObjects.cs;
benchmarks/README.md "Built surfaces"). Usage: /usr/bin/python3 benchmarks/changes/prototype.py [--built-surface]
[EVAL_CHANGES_DIR]
The imagery stays where it is (default /work/shared/eval/changes); nothing is written.
"""
import sys
import cv2, numpy as np, glob, os
ARGS=[a for a in sys.argv[1:] if not a.startswith('--')]
ROOT=ARGS[0] if ARGS else '/work/shared/eval/changes'
SETS=['levir-cd-crops','dsifn-cd']
def load(s):
    out=[]
    for f in sorted(glob.glob(f'{ROOT}/{s}/label/*.png')):
        n=os.path.basename(f)
        a=cv2.cvtColor(cv2.imread(f'{ROOT}/{s}/A/{n}'),cv2.COLOR_BGR2RGB).astype(np.float32)
        b=cv2.cvtColor(cv2.imread(f'{ROOT}/{s}/B/{n}'),cv2.COLOR_BGR2RGB).astype(np.float32)
        l=cv2.imread(f,0)>127
        out.append((n,a,b,l))
    return out
def blur(x,s): return cv2.GaussianBlur(x,(0,0),s,borderType=cv2.BORDER_REFLECT)
def radiometric(a,b):
    A=a.reshape(-1,3).astype(np.float64); B=b.reshape(-1,3).astype(np.float64)
    def mm(keep):
        g=[];
        for c in range(3):
            x=A[keep,c] if keep is not None else A[:,c]; y=B[keep,c] if keep is not None else B[:,c]
            gain=x.std()/max(y.std(),1e-6); g.append((gain,x.mean()-gain*y.mean()))
        return g
    g=mm(None)
    for _ in range(3):
        r=sum((A[:,c]-(g[c][0]*B[:,c]+g[c][1]))**2 for c in range(3))
        keep=r<=np.quantile(r,0.6); g=mm(keep)
    out=b.copy()
    for c in range(3): out[...,c]=g[c][0]*b[...,c]+g[c][1]
    return out
def lab(x): return cv2.cvtColor(np.clip(x/255,0,1).astype(np.float32),cv2.COLOR_RGB2Lab)
def colour(la,lb,r=2):
    a=blur(la,1.0); b=blur(lb,1.0); p=cv2.copyMakeBorder(b,r,r,r,r,cv2.BORDER_REFLECT)
    H,W=la.shape[:2]; res=np.full((H,W),np.inf,np.float32)
    for dy in (-r,0,r):
        for dx in (-r,0,r):
            s=p[r+dy:r+dy+H,r+dx:r+dx+W]; d=a-s
            res=np.minimum(res,np.sqrt(0.5*d[...,0]**2+d[...,1]**2+d[...,2]**2))
    return res
def ohist(l,bins=8):
    gx=cv2.Sobel(l,cv2.CV_32F,1,0,ksize=3); gy=cv2.Sobel(l,cv2.CV_32F,0,1,ksize=3)
    mag=np.sqrt(gx*gx+gy*gy); ang=np.arctan2(gy,gx); ang[ang<0]+=np.pi; ang[ang>=np.pi]-=np.pi
    pos=ang/np.pi*bins; k0=pos.astype(int); f=pos-k0; k0%=bins; k1=(k0+1)%bins
    h=[]
    for k in range(bins):
        h.append(blur((mag*(1-f)*(k0==k)+mag*f*(k1==k)).astype(np.float32),3.0))
    return h
def orient(la,lb):
    ha=ohist(la); hb=ohist(lb); ea=sum(ha); typ=np.median(ea)
    d=sum(np.abs(x-y) for x,y in zip(ha,hb)); e=sum(x+y for x,y in zip(ha,hb))
    return d/(e+typ+1e-3)
def dissim(la,lb,s=2.0,c=9.0):
    ma=blur(la,s); mb=blur(lb,s); va=blur(la*la,s)-ma*ma; vb=blur(lb*lb,s)-mb*mb; cab=blur(la*lb,s)-ma*mb
    return 1-(2*cab+c)/(va+vb+c)
def robust(x):
    v=x.ravel()[::max(1,x.size//65536)]; m=np.median(v); s=1.4826*np.median(np.abs(v-m)); return m,max(s,1e-6)
def std(x):
    m,s=robust(x); return (x-m)/s
def exg(x):
    s=x.sum(-1)+1e-3; return (2*x[...,1]-x[...,0]-x[...,2])/s
def cues(a,b):
    b=radiometric(a,b); LA=lab(a); LB=lab(b)
    la=LA[...,0].copy(); lb=LB[...,0].copy()
    c=colour(LA,LB); o=orient(la,lb); t=dissim(la,lb)
    veg=(exg(a)>0.05)&(exg(b)>0.05)
    return dict(a=a,b=b,LA=LA,LB=LB,colour=c,orient=o,texture=t,veg=veg)
def base_score(C,cw=0.5,pen=2.0,smooth=6):
    s=cw*std(C['colour'])+std(C['orient'])+std(C['texture'])
    s=s-pen*C['veg']
    return blur(s.astype(np.float32),smooth)
def otsu_mask(s,gsd=0.5,minarea=20,minthick=1.0):
    lo=np.quantile(s,0.01); hi=np.quantile(s,0.995); rg=max(hi-lo,1e-6)
    u8=np.clip(((s-lo)/rg*255).astype(int),0,255).astype(np.uint8)
    t,bi=cv2.threshold(u8,0,255,cv2.THRESH_BINARY|cv2.THRESH_OTSU)
    return clean(bi,gsd,minarea,minthick)
def clean(bi,gsd=0.5,minarea=20,minthick=1.0):
    r=min(8,max(1,round(1.25/gsd))); disc=cv2.getStructuringElement(cv2.MORPH_ELLIPSE,(2*r+1,2*r+1))
    bi=cv2.morphologyEx(bi,cv2.MORPH_OPEN,disc); bi=cv2.morphologyEx(bi,cv2.MORPH_CLOSE,disc)
    n,lab_,st,_=cv2.connectedComponentsWithStats(bi,connectivity=8)
    d=cv2.distanceTransform(bi,cv2.DIST_L2,5)
    mh=np.zeros(n); np.maximum.at(mh,lab_.ravel(),d.ravel())
    keep=(st[:,4]>=int(np.ceil(minarea/gsd/gsd)))&(mh>=minthick/2/gsd); keep[0]=False
    return keep[lab_]
def score_set(preds,data):
    tp=fp=fn=0
    for m,(n,a,b,l) in zip(preds,data):
        tp+=(m&l).sum(); fp+=(m&~l).sum(); fn+=(~m&l).sum()
    P=100*tp/max(tp+fp,1); R=100*tp/max(tp+fn,1); F=200*tp/max(2*tp+fp+fn,1)
    frac=100*sum(m.mean() for m in preds)/len(preds)
    return P,R,F,frac


def chroma(L): return np.sqrt(L[..., 1] ** 2 + L[..., 2] ** 2)


def lstd(l, s): m = blur(l, s); return np.sqrt(np.maximum(blur(l * l, s) - m * m, 0))


def building_index(x, gsd=0.5):
    """Mean white top-hat of brightness max(R,G,B), square elements of 2.5-20.5 m (Huang & Zhang 2011, simplified)."""
    br = x.max(-1).astype(np.float32)
    sides = [max(3, int(round(m / gsd)) | 1) for m in (2.5, 5.5, 10.5, 15.5, 20.5)]
    return sum(cv2.morphologyEx(br, cv2.MORPH_TOPHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (s, s)))
               for s in sides) / len(sides)


def score(C, w=None):
    """The shipped pair score; w maps cue names to weights (0 leaves a cue out)."""
    g = lambda k: (w or {}).get(k, 1.0)
    la, lb = C['LA'][..., 0], C['LB'][..., 0]
    s = (g('colour') * 0.5 * std(C['colour']) + g('structure') * std(C['orient']) + g('texture') * std(C['texture'])
         + g('texture gain') * std(lstd(lb, 5) - lstd(la, 5))
         + g('building index gain') * std(building_index(C['b']) - building_index(C['a']))
         + g('chroma loss') * std(chroma(C['LA']) - chroma(C['LB'])))
    # vegetation: both dates (shipped); 'after vegetation' > 0 tries the after-image-only rule instead
    veg = (exg(C['b']) > 0.05) if g('after vegetation') > 1 else C['veg']
    return blur((s - 2.0 * veg).astype(np.float32), 6)


def fill_holes(bi):
    """Background regions (4-connected) that do not reach the border become foreground."""
    n, lab_ = cv2.connectedComponents((~bi).astype(np.uint8), connectivity=4)
    border = set(np.unique(np.concatenate([lab_[0], lab_[-1], lab_[:, 0], lab_[:, -1]])))
    return bi | np.isin(lab_, [k for k in range(1, n) if k not in border])


def rstd_floor(x, floor=1.0):
    m = np.median(x); s = max(1.4826 * np.median(np.abs(x - m)), floor); return (x - m) / s


def built_mask(C, w_colour=1.0, w_bright=1.0):
    """BuiltSurface.Mask: (minus chroma, minus b*) of the after image as one colour cue, L after minus before as the
    brightness cue; smoothed (2 px) and split by Otsu over the scene (1st-99th percentile range)."""
    LA, LB = C['LA'], C['LB']
    s = (w_colour * 0.5 * (rstd_floor(-chroma(LB)) + rstd_floor(-LB[..., 2]))
         + w_bright * rstd_floor(LB[..., 0] - LA[..., 0]))
    s = blur(s.astype(np.float32), 2)
    lo, hi = np.quantile(s, [0.01, 0.99]); rg = max(hi - lo, 1e-6)
    t, _ = cv2.threshold(np.clip((s - lo) / rg * 255, 0, 255).astype(np.uint8), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return s > lo + t / 255 * rg


def built_detect(sc, bm, lowering=0.10, fill=True, hysteresis=True):
    """ChangeObjects.Extract with a built-surface mask."""
    lo = np.quantile(sc, 0.01); hi = np.quantile(sc, 0.995); rg = max(hi - lo, 1e-6)
    u8 = np.clip(((sc - lo) / rg * 255).astype(int), 0, 255).astype(np.uint8)
    t, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    low = max(0, t - lowering * 255)
    k = clean((u8 > low).astype(np.uint8) * 255) & bm
    if fill: k = fill_holes(k)
    k = clean(k.astype(np.uint8) * 255)
    if hysteresis:
        n, lab_ = cv2.connectedComponents(k.astype(np.uint8), connectivity=8)
        mean = np.bincount(lab_.ravel(), weights=sc.ravel(), minlength=n) / np.maximum(np.bincount(lab_.ravel(), minlength=n), 1)
        keep = mean >= lo + t / 255 * rg; keep[0] = False
        k = keep[lab_]
    return k


def built_surface_sweep():
    """The sweep of benchmarks/README.md (there without the hysteresis step, added later in C#): rows are the cue
    weights and hole filling, columns the candidate lowering; the shipped setting is colour 1 : brightness 1, filled,
    0.10. The prototype has no registration (the shared pairs are aligned)."""
    data = {}
    for s in SETS:
        D = load(s)
        data[s] = [(score(C), C, l) for C, (n, a, b, l) in ((cues(a, b), (n, a, b, l)) for n, a, b, l in D)]
    rows = [('chroma, b*, dL each 1, filled', 2.0, 1.0, True), ('colour 1 : brightness 1, filled', 1.0, 1.0, True),
            ('colour 1 : brightness 1, not filled', 1.0, 1.0, False)]
    for hyst in (False, True):
        for name, wc, wb, fill in rows:
            cells = []
            for low in (0.0, 0.03, 0.06, 0.10, 0.15):
                f = []
                for s in SETS:
                    preds = [built_detect(sc, built_mask(C, wc, wb), low, fill, hyst) for sc, C, l in data[s]]
                    f.append(score_set(preds, [(0, 0, 0, l) for sc, C, l in data[s]])[2])
                cells.append('%4.1f / %4.1f' % tuple(f))
            print('%-38s hysteresis %-5s | %s' % (name, hyst, ' | '.join(cells)))


if __name__ == '__main__' and '--built-surface' in sys.argv:
    built_surface_sweep()
elif __name__ == '__main__':
    variants = [('shipped', {})] + [('without ' + k, {k: 0}) for k in
                ('colour', 'structure', 'texture', 'texture gain', 'building index gain', 'chroma loss')] + \
               [('after-image vegetation rule', {'after vegetation': 2}),
                ('before this change', {'texture gain': 0, 'building index gain': 0, 'chroma loss': 0})]
    for s in SETS:
        D = load(s)
        Cs = [cues(a, b) for n, a, b, l in D]
        for name, w in variants:
            print('%-16s %-28s P %5.1f R %5.1f F1 %5.1f flagged %5.1f %%' %
                  ((s, name) + score_set([otsu_mask(score(C, w)) for C in Cs], D)))
