namespace MediaSdk.Core.Tests;

[Collection("Leaks")]
public sealed class WindowAssemblerTests
{
    private static List<ClipWindow> Run(double[] pts, double? duration, WindowOptions? options = null, bool live = false)
    {
        var windows = new List<ClipWindow>();
        using var a = new WindowAssembler(new StreamId("s"), options ?? WindowOptions.Default, live, windows.Add);
        foreach (double t in pts)
        {
            PooledFrame f = PooledFrame.Rent(16, t, 0);
            a.Add(f);
        }
        a.Complete(duration);
        return windows;
    }

    [Theory]
    [InlineData(0.5, 0, 1)]   // shorter than L: one partial
    [InlineData(1.0, 0, 1)]
    [InlineData(1.5, 0, 1)]
    [InlineData(2.0, 1, 1)]   // [0,2) full; [1,3) covers 1 s = L/2 -> partial
    [InlineData(2.5, 1, 1)]
    [InlineData(9.99, 8, 1)]  // [0..7]+2 <= 9.99 full; [8,10) covers 1.99 -> partial
    [InlineData(10, 9, 1)]    // [8,10) full, [9,11) covers 1 -> partial
    [InlineData(10.5, 9, 1)]  // [9,11) covers 1.5 -> partial
    public void Complete_Duration_EmitsFullAndPartialWindowsByRule(double duration, int full, int partial)
    {
        long before = PooledFrame.Outstanding;
        List<ClipWindow> w = Run(SyntheticSource.Fps(25, duration), duration);
        int expectedPartial = partial;
        Assert.Equal(full, w.Count(x => !x.Partial));
        Assert.Equal(expectedPartial, w.Count(x => x.Partial));
        for (int i = 0; i < w.Count; i++)
        {
            Assert.Equal(i, w[i].Index);
            Assert.Equal(i * 1.0, w[i].Start, 9);
            Assert.Equal(i + 2.0, w[i].End, 9);
            Assert.Equal(8, w[i].Frames.Length);
        }
        foreach (ClipWindow x in w) x.Dispose();
        Assert.Equal(before, PooledFrame.Outstanding);
    }

    [Fact]
    public void Add_GridSampledFrames_FirstWindowStartsAtZero()
    {
        // What the ffmpeg source delivers: one frame per sample point (k + 0.5) * L/N, the first at 0.125 s.
        double[] pts = [.. Enumerable.Range(0, 20).Select(k => (k + 0.5) * 0.25)];
        List<ClipWindow> w = Run(pts, 5.0);
        Assert.Equal([0.0, 1, 2, 3, 4], w.Select(x => x.Start));
        Assert.Equal(pts[..8], w[0].Frames.ToArray().Select(f => f.Pts));
        foreach (ClipWindow x in w) x.Dispose();
    }

    [Fact]
    public void Add_VariableFrameRate_PicksNearestByTimestamp()
    {
        double[] pts = [0, 0.05, 0.3, 0.31, 0.9, 1.2, 1.26, 1.9, 2.4];
        List<ClipWindow> w = Run(pts, 2.5);
        // Window 0 samples at 0.125, 0.375, ..., 1.875.
        double[] expected = [0.05, 0.31, 0.9 /*0.625: 0.31 is .315 away, 0.9 is .275*/, 0.9, 0.9 /*1.125 -> 1.2 (.075) vs 0.9*/, 1.26, 1.9, 1.9];
        expected[4] = 1.2;
        Assert.Equal(expected, w[0].Frames.ToArray().Select(f => f.Pts));
        foreach (ClipWindow x in w) x.Dispose();
    }

    [Fact]
    public void Add_TieBetweenFrames_PicksEarlier()
    {
        // Sample 0 of window 0 is at 0.125, exactly between 0.0 and 0.25.
        List<ClipWindow> w = Run([0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0], 2.0);
        Assert.Equal(0.0, w[0].Frames[0].Pts);
        foreach (ClipWindow x in w) x.Dispose();
    }

    [Fact]
    public void Add_Live_EmitsWhenLastSampleResolved()
    {
        var windows = new List<ClipWindow>();
        using var a = new WindowAssembler(new StreamId("s"), WindowOptions.Default, live: true, windows.Add);
        foreach (double t in SyntheticSource.Fps(10, 1.9)) a.Add(PooledFrame.Rent(16, t, 0)); // up to 1.8
        Assert.Empty(windows);
        a.Add(PooledFrame.Rent(16, 1.9, 0)); // >= 1.875
        Assert.Single(windows);
        a.Complete(null);
        foreach (ClipWindow x in windows) x.Dispose();
    }

    [Fact]
    public void Discontinuity_AbandonsPendingAndResumesOnGrid()
    {
        long before = PooledFrame.Outstanding;
        var windows = new List<ClipWindow>();
        using (var a = new WindowAssembler(new StreamId("s"), WindowOptions.Default, live: false, windows.Add))
        {
            foreach (double t in SyntheticSource.Fps(10, 2.5)) a.Add(PooledFrame.Rent(16, t, 0));
            Assert.Single(windows); // [0,2)
            a.Discontinuity();
            foreach (double t in SyntheticSource.Fps(10, 3).Select(t => t + 5.3)) a.Add(PooledFrame.Rent(16, t, 0));
            a.Complete(8.3);
        }
        // Resumes at 6 (first start >= 5.3): [6,8) full, [7,9) partial (1.3 s >= 1).
        Assert.Equal([0L, 6L, 7L], windows.Select(w => w.Index));
        Assert.True(windows[2].Partial);
        foreach (ClipWindow x in windows) x.Dispose();
        Assert.Equal(before, PooledFrame.Outstanding);
    }

    [Fact]
    public void Complete_OtherOptions_CountsFollowHop()
    {
        var options = new WindowOptions { Length = TimeSpan.FromSeconds(1), Hop = TimeSpan.FromSeconds(0.5), FramesPerWindow = 4 };
        List<ClipWindow> w = Run(SyntheticSource.Fps(30, 3), 3, options);
        // Starts 0..2 step 0.5 are full (5), [2.5,3.5) covers 0.5 = L/2 -> partial.
        Assert.Equal(5, w.Count(x => !x.Partial));
        Assert.Single(w, x => x.Partial);
        foreach (ClipWindow x in w) x.Dispose();
    }
}

[CollectionDefinition("Leaks", DisableParallelization = true)]
public sealed class LeaksCollection;
