using MediaSdk.Synth;
using MediaSdk.Synth.Internal;

namespace MediaSdk.Synth.Tests;

public sealed class SamplingTests
{
    private static readonly Lazy<IReadOnlyList<SynthScene>> s_default = new(() => SynthGenerator.SampleScenes(SynthConfig.Default));

    private static IEnumerable<string> AttributePairs(SynthScene s) => s.Objects.Select(o => o.Colour + " " + o.Shape);

    private static IEnumerable<string> MotionPairs(SynthScene s) => s.Events.SelectMany(e =>
        e.Other is int other
            ? new[] { s.Objects[e.Object].Shape + " " + e.Motion, s.Objects[other].Shape + " " + e.Motion }
            : [s.Objects[e.Object].Shape + " " + e.Motion]);

    [Fact]
    public void SampleScenes_SameSeed_IdenticalJson()
    {
        string a = SynthGenerator.ToJsonl(SynthGenerator.SampleScenes(SynthConfig.Default));
        string b = SynthGenerator.ToJsonl(s_default.Value);
        Assert.Equal(a, b);
    }

    [Fact]
    public void SampleScenes_DifferentSeed_Differs()
    {
        IReadOnlyList<SynthScene> a = SynthGenerator.SampleScenes(SynthConfig.Small);
        IReadOnlyList<SynthScene> b = SynthGenerator.SampleScenes(SynthConfig.Small with { Seed = 2 });
        Assert.Equal(a.Select(s => s.Id), b.Select(s => s.Id));
        int differ = a.Zip(b).Count(p => SynthGenerator.ToJson(p.First) != SynthGenerator.ToJson(p.Second));
        Assert.True(differ > a.Count * 9 / 10, $"only {differ} of {a.Count} scenes differ between seeds 1 and 2");
    }

    [Fact]
    public void Sample_OneItem_EqualsItemInFullRun()
    {
        // Items are independent (per-item seed), so any item can be made alone or by any worker.
        var sampler = new SceneSampler(SynthConfig.Default);
        SynthScene alone = sampler.Sample("val", "clip", 123);
        SynthScene inRun = s_default.Value.Single(s => s.Id == "val-clip-000123");
        Assert.Equal(SynthGenerator.ToJson(inRun), SynthGenerator.ToJson(alone));
    }

    [Fact]
    public void SampleScenes_Default_CountsIdsAndMediaPaths()
    {
        IReadOnlyList<SynthScene> all = s_default.Value;
        SynthSplits sp = SynthConfig.Default.Splits;
        int expected = new[] { sp.Train, sp.Val, sp.Test }.Sum(c => c.Images + c.Clips + c.Long);
        Assert.Equal(expected, all.Count);
        Assert.Equal(all.Count, all.Select(s => s.Id).Distinct().Count());
        Assert.Equal(sp.Test.Long, all.Count(s => s.Split == "test" && s.Kind == "long"));
        SynthScene clip = all.First(s => s.Split == "test" && s.Kind == "clip" && s.Id.EndsWith("000012", StringComparison.Ordinal));
        Assert.Equal("media/clips/test/test-clip-000012.mp4", clip.Media);
        Assert.StartsWith("media/images/train/train-image-", all[0].Media, StringComparison.Ordinal);
    }

    [Fact]
    public void SampleScenes_HeldOutPairs_AbsentFromTrainPresentInValAndTest()
    {
        SynthHeldOut held = SynthConfig.Default.HeldOut;
        IReadOnlyList<SynthScene> all = s_default.Value;
        foreach (SynthScene s in all.Where(s => s.Split == "train"))
        {
            Assert.DoesNotContain(AttributePairs(s), p => held.AttributeObject.Contains(p));
            Assert.DoesNotContain(MotionPairs(s), p => held.ObjectMotion.Contains(p));
        }
        foreach (string split in new[] { "val", "test" })
        {
            SynthScene[] items = [.. all.Where(s => s.Split == split)];
            string[] attrs = [.. items.SelectMany(s => AttributePairs(s).Take(1)).Where(held.AttributeObject.Contains).Distinct()];
            string[] motions = [.. items.SelectMany(MotionPairs).Where(held.ObjectMotion.Contains).Distinct()];
            Assert.Equal(held.AttributeObject.Order(), attrs.Order());
            Assert.Equal(held.ObjectMotion.Order(), motions.Order());
            // About the configured share of items is built around a held-out pair (subject colour+shape or its motion).
            double planted = items.Count(s => held.AttributeObject.Contains(AttributePairs(s).First()) ||
                s.Events.Any(e => e.Object == 0 && held.ObjectMotion.Contains(s.Objects[0].Shape + " " + e.Motion))) / (double)items.Length;
            Assert.InRange(planted, held.Fraction - 0.02, held.Fraction + 0.15);
        }
    }

    [Fact]
    public void SampleScenes_Clips_HaveOneMainSubjectEventAndConsistentObjects()
    {
        foreach (SynthScene s in s_default.Value.Where(s => s.Kind == "clip"))
        {
            Assert.InRange(s.Objects.Count, 1, 4);
            Assert.Equal(s.Objects.Count, s.Objects.Select(o => o.Colour + o.Shape).Distinct().Count());
            SynthEvent main = Assert.Single(s.Events, e => e.Object == 0);
            Assert.True(main.End > main.Start && main.End <= s.Duration + 1e-9, s.Id);
            if (main.Motion is not ("appear" or "disappear"))
                Assert.True(main.End - main.Start >= 0.6 * s.Duration, $"{s.Id}: main event covers too little of the clip");
            if (main.Motion == "collide")
                Assert.Equal(1, main.Other);
            Assert.All(s.Events, e => Assert.True(e.Motion == "collide" ? e.Object == 0 : e.Other is null));
            if (s.Occluder is int occ)
            {
                Assert.True(occ > 0);
                Assert.Contains(s.Events, e => e.Object == occ && e.Motion is "move-left" or "move-right");
            }
            Assert.InRange(s.Crf, SynthConfig.Default.CrfMin, SynthConfig.Default.CrfMax);
        }
    }

    [Fact]
    public void SampleScenes_MovingObjects_StayInFrame()
    {
        foreach (SynthScene s in s_default.Value.Where(s => s.Kind != "image"))
            for (int id = 0; id < s.Objects.Count; id++)
            {
                if (id == s.Occluder) continue; // it enters and leaves by design
                foreach (double t in new[] { 0, s.Duration / 2, s.Duration })
                {
                    ObjectState st = SceneMotion.StateAt(s, id, t);
                    Assert.InRange(st.X / s.Width, 0.1, 0.9);
                    Assert.InRange(st.Y / s.Height, 0.1, 0.9);
                }
            }
    }

    [Fact]
    public void SampleScenes_Long_EventsDoNotOverlap()
    {
        SynthConfig c = SynthConfig.Default;
        foreach (SynthScene s in s_default.Value.Where(s => s.Kind == "long"))
        {
            Assert.InRange(s.Duration, c.LongMinSeconds, c.LongMaxSeconds);
            Assert.InRange(s.Events.Count, c.LongMinEvents, c.LongMaxEvents);
            Assert.Contains(s.Events, e => e.Object == 0);
            for (int i = 1; i < s.Events.Count; i++)
                Assert.True(s.Events[i].Start >= s.Events[i - 1].End, $"{s.Id}: events {i - 1} and {i} overlap");
            Assert.True(s.Events[^1].End <= s.Duration, s.Id);
            foreach (var group in s.Events.GroupBy(e => e.Object))
            {
                SynthEvent[] ev = [.. group];
                int appear = Array.FindIndex(ev, e => e.Motion == "appear");
                int disappear = Array.FindIndex(ev, e => e.Motion == "disappear");
                Assert.True(appear <= 0, $"{s.Id}: appear must be the object's first event");
                Assert.True(disappear < 0 || disappear == ev.Length - 1, $"{s.Id}: disappear must be the object's last event");
            }
        }
    }
}
