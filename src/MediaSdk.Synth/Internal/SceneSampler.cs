namespace MediaSdk.Synth.Internal;

/// <summary>
/// Samples scene graphs. Each item has its own <see cref="Random"/> seeded from (seed, split, kind, index) with a
/// fixed mixing function, so an item does not depend on any other item, the order of generation, or the process.
/// </summary>
internal sealed class SceneSampler
{
    public static readonly string[] SplitNames = ["train", "val", "test"];
    public static readonly string[] KindNames = ["image", "clip", "long"];
    private static readonly string[] PathMotions = ["move-left", "move-right", "move-up", "move-down", "rotate", "grow", "shrink", "bounce"];
    private static readonly string[] Sideways = ["move-left", "move-right"];
    private const double Lo = 0.15, Hi = 0.85, Eps = 1e-6; // where object centres stay, as a fraction of the frame

    private readonly SynthConfig _c;
    private readonly HashSet<string> _heldAttr;
    private readonly HashSet<string> _heldMotion;
    private readonly string[] _colours;
    private readonly string[] _bgColours;

    public SceneSampler(SynthConfig config)
    {
        _c = config;
        _heldAttr = [.. config.HeldOut.AttributeObject ?? []];
        _heldMotion = [.. config.HeldOut.ObjectMotion ?? []];
        _colours = [.. config.Colours.Keys];
        _bgColours = [.. config.BackgroundColours.Keys];
    }

    /// <summary>Every scene in output order: split (train, val, test), kind (image, clip, long), index.</summary>
    public List<SynthScene> SampleAll()
    {
        var all = new List<SynthScene>();
        foreach (string split in SplitNames)
        {
            SynthCounts counts = split switch { "train" => _c.Splits.Train, "val" => _c.Splits.Val, _ => _c.Splits.Test };
            for (int i = 0; i < counts.Images; i++) all.Add(Sample(split, "image", i));
            for (int i = 0; i < counts.Clips; i++) all.Add(Sample(split, "clip", i));
            for (int i = 0; i < counts.Long; i++) all.Add(Sample(split, "long", i));
        }
        return all;
    }

    public SynthScene Sample(string split, string kind, int index)
    {
        var item = new Item(this, split, kind, index);
        return kind switch
        {
            "image" => item.Image(),
            "clip" => item.Clip(),
            "long" => item.Long(),
            _ => throw new ArgumentException($"unknown kind '{kind}'"),
        };
    }

    /// <summary>A 32-bit seed from the item's coordinates (SplitMix64 finaliser: stable across processes and runtimes).</summary>
    internal static int ItemSeed(int seed, string split, string kind, int index)
    {
        ulong h = (ulong)(uint)seed;
        h = Mix(h + ((ulong)Array.IndexOf(SplitNames, split) + 1) * 0x9E3779B97F4A7C15UL);
        h = Mix(h + ((ulong)Array.IndexOf(KindNames, kind) + 1) * 0xBF58476D1CE4E5B9UL);
        h = Mix(h + ((ulong)(uint)index + 1) * 0x94D049BB133111EBUL);
        return (int)(h & 0x7FFFFFFF);
    }

    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Stable 64-bit FNV-1a of a string (scene ids seed the renderer's noise and shake).</summary>
    internal static ulong Fnv(string s)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (char ch in s)
        {
            h ^= ch;
            h *= 0x100000001B3UL;
        }
        return h;
    }

    /// <summary>Mutable planning state of one object while events are laid out.</summary>
    private sealed class Plan
    {
        public required string Shape;
        public required string Colour;
        public required string Size;
        public required string Texture;
        public double X, Y, Scale = 1; // X, Y: the start place (what the scene records)
        public double DX, DY; // displacement planned so far (long videos)
        public bool HasEvent, Gone;
    }

    private sealed class Item
    {
        private readonly SceneSampler _s;
        private readonly SynthConfig _c;
        private readonly Random _rng;
        private readonly string _split, _kind, _id;
        private readonly bool _train;
        private readonly bool _plant;
        private readonly List<Plan> _objects = [];
        private readonly List<SynthEvent> _events = [];

        public Item(SceneSampler s, string split, string kind, int index)
        {
            _s = s;
            _c = s._c;
            _split = split;
            _kind = kind;
            _id = $"{split}-{kind}-{index:D6}";
            _train = split == "train";
            _rng = new Random(ItemSeed(_c.Seed, split, kind, index));
            // Planted items are spread evenly (every 1/fraction-th index), so even a tiny split has some.
            double f = _c.HeldOut.Fraction;
            _plant = !_train && Math.Floor(((index + 1) * f) + 1e-9) > Math.Floor((index * f) + 1e-9);
        }

        private double U(double a, double b) => a + (_rng.NextDouble() * (b - a));
        private T Pick<T>(IReadOnlyList<T> list) => list[_rng.Next(list.Count)];
        private static double R(double v) => Math.Round(v, 3);
        private bool AttrBanned(string colour, string shape) => _train && _s._heldAttr.Contains(colour + " " + shape);
        private bool MotionBanned(string shape, string motion) => _train && _s._heldMotion.Contains(shape + " " + motion);

        private static (string, string) Pair(string pair)
        {
            int sp = pair.LastIndexOf(' ');
            return (pair[..sp], pair[(sp + 1)..]);
        }

        /// <summary>What kind of held-out pair this item plants: "attr", "motion" or null.</summary>
        private string? PlantKind()
        {
            if (!_plant) return null;
            bool attr = _c.HeldOut.AttributeObject.Count > 0;
            bool motion = _kind != "image" && _c.HeldOut.ObjectMotion.Any(p => CanLead(Pair(p).Item2));
            return attr && motion ? (_rng.NextDouble() < 0.5 ? "attr" : "motion") : attr ? "attr" : motion ? "motion" : null;
        }

        private bool CanLead(string motion) => _kind != "long" || motion != "collide";

        /// <summary>A new object whose colour+shape differs from every other object's (so captions single it out).</summary>
        private Plan NewObject(string? shape = null, string? colour = null, Func<string, bool>? shapeOk = null)
        {
            for (int attempt = 0; attempt < 1000; attempt++)
            {
                string sh = shape ?? Pick(_c.Shapes);
                string co = colour ?? Pick(_s._colours);
                if (shapeOk is not null && !shapeOk(sh)) continue;
                if (AttrBanned(co, sh) || _objects.Any(o => o.Shape == sh && o.Colour == co)) continue;
                return new Plan { Shape = sh, Colour = co, Size = Pick(_c.Sizes), Texture = Pick(_c.Textures) };
            }
            throw new InvalidOperationException($"synth config is too constrained to sample an object for {_id}; hold out fewer pairs or add colours/shapes.");
        }

        /// <summary>Rotation of a circle or ring is only visible on a patterned surface.</summary>
        private void MakeRotationVisible(Plan o)
        {
            if (o.Shape is "circle" or "ring" && o.Texture == "solid")
            {
                string[] patterned = [.. _c.Textures.Where(t => t != "solid")];
                if (patterned.Length > 0) o.Texture = Pick(patterned);
            }
        }

        /// <summary>Motions an object may do from its planned state and stay in frame (long videos; no collide).</summary>
        private List<string> Candidates(Plan o, int activeObjects)
        {
            var list = new List<string>();
            foreach (string m in _c.Motions)
            {
                if (MotionBanned(o.Shape, m)) continue;
                bool ok = m switch
                {
                    "move-left" => o.X + o.DX - SceneMotion.MoveDistance >= Lo - Eps,
                    "move-right" => o.X + o.DX + SceneMotion.MoveDistance <= Hi + Eps,
                    "move-up" => o.Y + o.DY - SceneMotion.MoveDistance >= Lo - Eps,
                    "move-down" => o.Y + o.DY + SceneMotion.MoveDistance <= Hi + Eps,
                    "bounce" => o.Y + o.DY - SceneMotion.BounceHeight >= Lo - Eps,
                    "grow" => o.Scale * SceneMotion.GrowFactor <= 1.7,
                    "shrink" => o.Scale * SceneMotion.ShrinkFactor >= 0.5,
                    "rotate" => true,
                    "appear" => !o.HasEvent,
                    "disappear" => activeObjects >= 2,
                    _ => false,
                };
                if (ok) list.Add(m);
            }
            return list;
        }

        /// <summary>A start place from which <paramref name="motion"/> keeps the object in frame.</summary>
        private void Place(Plan o, string? motion)
        {
            (double x0, double x1, double y0, double y1) = motion switch
            {
                "move-right" => (Lo, Hi - SceneMotion.MoveDistance, 0.25, 0.75),
                "move-left" => (Lo + SceneMotion.MoveDistance, Hi, 0.25, 0.75),
                "move-down" => (0.25, 0.75, Lo, Hi - SceneMotion.MoveDistance),
                "move-up" => (0.25, 0.75, Lo + SceneMotion.MoveDistance, Hi),
                "bounce" => (0.25, 0.75, 0.5, 0.75),
                "grow" => (0.3, 0.7, 0.3, 0.7),
                _ => (0.22, 0.78, 0.22, 0.78),
            };
            // Keep clear of the objects already placed when the region allows it.
            double best = double.NegativeInfinity, bx = 0.5, by = 0.5;
            for (int attempt = 0; attempt < 24; attempt++)
            {
                double x = U(x0, x1), y = U(y0, y1);
                double clearance = double.MaxValue;
                foreach (Plan p in _objects)
                {
                    if (ReferenceEquals(p, o)) continue;
                    double dx = (x - p.X) * _c.Width, dy = (y - p.Y) * _c.Height;
                    double gap = Math.Sqrt((dx * dx) + (dy * dy)) - ((SceneMotion.SizeFraction(p.Size) + SceneMotion.SizeFraction(o.Size)) / 2 * Math.Min(_c.Width, _c.Height));
                    clearance = Math.Min(clearance, gap);
                }
                if (clearance > best) (best, bx, by) = (clearance, x, y);
                if (clearance > 4) break;
            }
            o.X = R(bx);
            o.Y = R(by);
        }

        private SynthScene Scene(double duration, int crf, IReadOnlyList<SynthText> texts, string camera, string lighting, int? occluder)
        {
            var objects = new List<SynthObject>(_objects.Count);
            for (int i = 0; i < _objects.Count; i++)
            {
                Plan p = _objects[i];
                objects.Add(new SynthObject { Id = i, Shape = p.Shape, Colour = p.Colour, Size = p.Size, Texture = p.Texture, X = p.X, Y = p.Y });
            }
            List<SynthEvent> events = [.. _events.OrderBy(e => e.Start).ThenBy(e => e.Object)];
            string background = Pick(_c.Backgrounds);
            string bgColour = BackgroundColour();
            return new SynthScene
            {
                Id = _id,
                Split = _split,
                Kind = _kind,
                Media = _kind == "image" ? $"media/images/{_split}/{_id}.png" : $"media/clips/{_split}/{_id}.mp4",
                Duration = duration,
                Width = _c.Width,
                Height = _c.Height,
                Fps = _kind == "image" ? 0 : _c.Fps,
                Crf = crf,
                Background = background,
                BackgroundColour = bgColour,
                Objects = objects,
                Events = events,
                Texts = texts,
                Camera = camera,
                Lighting = lighting,
                Noise = R(U(_c.NoiseMin, _c.NoiseMax)),
                Occluder = occluder,
            };
        }

        /// <summary>A background colour far (in RGB) from every object colour, so objects stay visible.</summary>
        private string BackgroundColour()
        {
            string best = _s._bgColours[0];
            double bestDistance = -1;
            for (int attempt = 0; attempt < 16; attempt++)
            {
                string name = Pick(_s._bgColours);
                var bg = SynthConfig.ParseRgb(_c.BackgroundColours[name]);
                double d = _objects.Min(o => Distance(bg, Rgb(o.Colour)));
                if (d > bestDistance) (best, bestDistance) = (name, d);
                if (d >= 110) break;
            }
            _bgPicked = best;
            return best;
        }

        private string? _bgPicked;

        private (byte R, byte G, byte B) Rgb(string colour)
        {
            return SynthConfig.ParseRgb(_c.Colours[colour]);
        }

        private static double Distance((byte R, byte G, byte B) a, (byte R, byte G, byte B) b) =>
            Math.Sqrt(Math.Pow(a.R - b.R, 2) + Math.Pow(a.G - b.G, 2) + Math.Pow(a.B - b.B, 2));

        private static double Luma((byte R, byte G, byte B) c) => ((0.299 * c.R) + (0.587 * c.G) + (0.114 * c.B)) / 255;

        private List<SynthText> Texts(double duration)
        {
            if (_rng.NextDouble() >= _c.TextProbability) return [];
            string word = Pick(_c.Words);
            bool top = _rng.NextDouble() < 0.5;
            double start = duration == 0 ? 0 : R(U(0, 0.25 * duration)), end = duration == 0 ? 0 : R(U(0.75 * duration, duration));
            // The colour is fixed after the background is chosen (Finish), so keep a placeholder here.
            return [new SynthText(word, "", 0.5, top ? 0.13 : 0.87, start, end)];
        }

        /// <summary>Text colour: the object colour with the most luminance contrast against the background.</summary>
        private SynthScene Finish(SynthScene scene)
        {
            if (scene.Texts.Count == 0) return scene;
            var bg = SynthConfig.ParseRgb(_c.BackgroundColours[_bgPicked!]);
            double bgLuma = Luma(bg);
            string[] good = [.. _s._colours.Where(c => Math.Abs(Luma(Rgb(c)) - bgLuma) >= 0.4)];
            string colour = good.Length > 0 ? Pick(good) : _s._colours.OrderByDescending(c => Math.Abs(Luma(Rgb(c)) - bgLuma)).First();
            return scene with { Texts = [.. scene.Texts.Select(t => t with { Colour = colour })] };
        }

        private int ExtraObjects() => _rng.NextDouble() < _c.ExtraObjectProbability ? (_rng.NextDouble() < 0.5 ? 2 : 1) : 0;

        private string Camera() =>
            _c.CameraMotions.Count > 0 && _rng.NextDouble() < _c.CameraProbability ? Pick(_c.CameraMotions) : "none";

        private string Lighting() =>
            _c.Lighting.Count > 0 && _rng.NextDouble() < _c.LightingProbability ? Pick(_c.Lighting) : "constant";

        public SynthScene Image()
        {
            int extra = ExtraObjects();
            Plan subject = PlantKind() == "attr" ? Planted() : NewObject();
            _objects.Add(subject);
            Place(subject, null);
            for (int i = 0; i < extra; i++)
            {
                Plan o = NewObject();
                _objects.Add(o);
                Place(o, null);
            }
            List<SynthText> texts = Texts(0);
            return Finish(Scene(0, 0, texts, "none", "constant", null));
        }

        private Plan Planted()
        {
            (string colour, string shape) = Pair(Pick(_c.HeldOut.AttributeObject));
            return NewObject(shape, colour);
        }

        public SynthScene Clip()
        {
            double d = _c.ClipSeconds;
            int crf = _rng.Next(_c.CrfMin, _c.CrfMax + 1);
            int extra = ExtraObjects();
            string? plant = PlantKind();

            // The subject and its main event.
            Plan subject;
            string motion;
            if (plant == "motion")
            {
                (string shape, string m) = Pair(Pick(_c.HeldOut.ObjectMotion.Where(p => CanLead(Pair(p).Item2)).ToList()));
                subject = NewObject(shape);
                motion = m;
            }
            else
            {
                subject = plant == "attr" ? Planted() : NewObject(shapeOk: sh => _c.Motions.Any(m => !MotionBanned(sh, m)));
                motion = Pick(_c.Motions.Where(m => !MotionBanned(subject.Shape, m)).ToList());
            }
            if (motion == "rotate") MakeRotationVisible(subject);
            _objects.Add(subject);

            if (motion == "collide")
            {
                Plan partner = NewObject(shapeOk: sh => !MotionBanned(sh, "collide"));
                _objects.Add(partner);
                subject.X = R(U(Lo, 0.3));
                subject.Y = R(U(0.3, 0.7));
                partner.X = R(U(0.7, Hi));
                partner.Y = R(Math.Clamp(subject.Y + U(-0.15, 0.15), Lo, Hi));
                _events.Add(new SynthEvent(R(U(0, 0.15 * d)), R(U(0.85 * d, d)), 0, "collide", 1));
                extra = Math.Max(0, extra - 1);
            }
            else
            {
                Place(subject, motion);
                _events.Add(motion is "appear" or "disappear"
                    ? EventAt(R(U(0.3 * d, 0.5 * d)), Math.Min(0.3, 0.15 * d), 0, motion)
                    : new SynthEvent(R(U(0, 0.15 * d)), R(U(0.85 * d, d)), 0, motion));
            }

            // Other objects, some with a secondary motion of their own.
            for (int i = 0; i < extra; i++)
            {
                Plan o = NewObject();
                _objects.Add(o);
                string? m = null;
                if (_rng.NextDouble() < _c.SecondaryMotionProbability)
                {
                    List<string> options = [.. PathMotions.Where(x => _c.Motions.Contains(x) && !MotionBanned(o.Shape, x))];
                    if (options.Count > 0) m = Pick(options);
                }
                if (m == "rotate") MakeRotationVisible(o);
                Place(o, m);
                if (m is not null)
                    _events.Add(new SynthEvent(R(U(0, 0.3 * d)), R(U(0.7 * d, d)), _objects.Count - 1, m));
            }

            // An occluder crosses in front of the subject, centred on where the subject is half-way through.
            int? occluder = null;
            if (motion is not ("collide" or "appear" or "disappear") && _rng.NextDouble() < _c.OcclusionProbability)
                occluder = AddOccluder(d);

            List<SynthText> texts = Texts(d);
            string camera = Camera(), lighting = Lighting();
            return Finish(Scene(d, crf, texts, camera, lighting, occluder));
        }

        private static SynthEvent EventAt(double start, double length, int obj, string motion) =>
            new(start, R(start + length), obj, motion);

        private int? AddOccluder(double d)
        {
            Plan o = NewObject();
            string[] directions = [.. Sideways.Where(m => _c.Motions.Contains(m) && !MotionBanned(o.Shape, m))];
            if (directions.Length == 0) return null;
            string dir = Pick(directions);
            if (_c.Sizes.Contains("large")) o.Size = "large";
            double start = R(U(0.1 * d, 0.25 * d)), end = R(U(0.75 * d, 0.9 * d));
            var provisional = Scene(d, 0, [], "none", "constant", null);
            ObjectState at = SceneMotion.StateAt(provisional, 0, (start + end) / 2);
            double sx = at.X / _c.Width, sy = at.Y / _c.Height;
            double half = SceneMotion.MoveDistance / 2 * (dir == "move-right" ? 1 : -1);
            o.X = R(sx - half);
            o.Y = R(sy);
            _objects.Add(o);
            _events.Add(new SynthEvent(start, end, _objects.Count - 1, dir));
            return _objects.Count - 1;
        }

        public SynthScene Long()
        {
            double d = Math.Round(U(_c.LongMinSeconds, _c.LongMaxSeconds) * 2) / 2;
            int crf = _rng.Next(_c.CrfMin, _c.CrfMax + 1);
            int k = _rng.Next(_c.LongMinEvents, _c.LongMaxEvents + 1);
            int others = 1 + (_rng.NextDouble() < _c.ExtraObjectProbability ? 1 : 0);
            string? plant = PlantKind();

            Plan subject;
            string? first = null;
            if (plant == "motion")
            {
                (string shape, string m) = Pair(Pick(_c.HeldOut.ObjectMotion.Where(p => CanLead(Pair(p).Item2)).ToList()));
                subject = NewObject(shape);
                first = m;
            }
            else
            {
                subject = plant == "attr" ? Planted() : NewObject();
            }
            _objects.Add(subject);
            for (int i = 0; i < others; i++)
            {
                Plan o = NewObject();
                _objects.Add(o);
                Place(o, null);
            }
            // The subject's first event decides its start place (so a planted motion always fits in frame).
            first ??= PickOrNull(Candidates(new Plan { Shape = subject.Shape, Colour = "", Size = "", Texture = "", X = 0.5, Y = 0.5 }, _objects.Count)
                .Where(m => m != "disappear").ToList());
            Place(subject, first);
            int subjectSlot = _rng.Next(k);

            double slot = d / k;
            for (int s = 0; s < k; s++)
            {
                double length = Math.Max(1.0, Math.Min(2.5, 0.7 * slot) * U(0.7, 1.0));
                length = Math.Min(length, slot - 0.2);
                double start = R((s * slot) + U(0.1, Math.Max(0.1, slot - length - 0.1)));
                int active = _objects.Count(o => !o.Gone);

                int actor;
                string? motion;
                if (s == subjectSlot && first is not null)
                {
                    actor = 0;
                    motion = first;
                    if (motion == "rotate") MakeRotationVisible(subject);
                }
                else
                {
                    // Before its slot the subject waits (so its first event is the planned one); after, anyone may act.
                    var order = Enumerable.Range(0, _objects.Count).Where(i => !_objects[i].Gone && (i != 0 || s > subjectSlot)).OrderBy(_ => _rng.Next()).ToList();
                    actor = -1;
                    motion = null;
                    foreach (int i in order)
                    {
                        Plan o = _objects[i];
                        List<string> options = Candidates(o, active);
                        if (o.Shape is "circle" or "ring" && o.Texture == "solid") options.Remove("rotate");
                        // Until the subject's own slot, the others carry the video: none may leave it yet.
                        if (s < subjectSlot) options.Remove("disappear");
                        if (options.Count == 0) continue;
                        (actor, motion) = (i, Pick(options));
                        break;
                    }
                    if (motion is null) continue;
                }
                Plan a = _objects[actor];
                _events.Add(new SynthEvent(start, R(start + length), actor, motion));
                Apply(a, motion);
            }

            List<SynthText> texts = Texts(d);
            string camera = Camera(), lighting = Lighting();
            return Finish(Scene(d, crf, texts, camera, lighting, null));
        }

        private string? PickOrNull(List<string> options) => options.Count == 0 ? null : Pick(options);

        private static void Apply(Plan o, string motion)
        {
            o.HasEvent = true;
            switch (motion)
            {
                case "move-left": o.DX -= SceneMotion.MoveDistance; break;
                case "move-right": o.DX += SceneMotion.MoveDistance; break;
                case "move-up": o.DY -= SceneMotion.MoveDistance; break;
                case "move-down": o.DY += SceneMotion.MoveDistance; break;
                case "grow": o.Scale *= SceneMotion.GrowFactor; break;
                case "shrink": o.Scale *= SceneMotion.ShrinkFactor; break;
                case "disappear": o.Gone = true; break;
            }
        }
    }
}
