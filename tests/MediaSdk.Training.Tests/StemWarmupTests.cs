using MediaSdk.Model;
using MediaSdk.Model.Nn;
using MediaSdk.Training.Data;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MediaSdk.Training.Tests;

/// <summary>The vision warm-up: it learns labels from pixels, trains the stem only, and the trainer runs it once.</summary>
public sealed class StemWarmupTests : IDisposable
{
    private static readonly BtokConfig Small = SmallModels.SmallVocabulary with { VisionStem = VisionStem.Conv };
    private static readonly BtokConfig Summarised = Small with { FrameSummaryToken = true, FrameSummaryWhere = true, MaxFrames = 4 };
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "msdk-warmup-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_temp)) Directory.Delete(_temp, recursive: true);
    }

    [Fact]
    public void Run_ColouredBlobOnNoise_LearnsTheColourAndMovesOnlyTheStem()
    {
        List<TrainingExample> examples = [.. Enumerable.Range(0, 48).Select(i => Labelled(i, "colour", i % 3))];
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, seed: 5, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2 });
        BtokModel model = encoder.Network;
        Dictionary<string, Tensor> before = model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());

        var warmup = new StemWarmup(model, examples, ["colour"], CPU);
        Assert.Equal(48, warmup.Count);
        Assert.Equal(3, warmup.Classes);
        var accuracy = new List<double>();
        warmup.Run(80, 12, 3e-3, seed: 1, s => accuracy.Add(s.Accuracy), CancellationToken.None);

        Assert.Equal(80, accuracy.Count);
        // Chance is 1/3; the blob's colour survives the flips and shifts, so the stem must find it.
        double late = accuracy.TakeLast(10).Average();
        Assert.True(late >= 0.8, $"accuracy over the last 10 steps {late:F2}; the first 10 {accuracy.Take(10).Average():F2}");
        foreach ((string name, Tensor now) in model.state_dict())
        {
            bool moved = !now.allclose(before[name]);
            if (name.StartsWith("patch_embed.", StringComparison.Ordinal))
                Assert.True(moved || name.Contains("temporal", StringComparison.Ordinal), $"{name} did not move");
            else
                Assert.False(moved, $"{name} moved, but only the vision stem may train in the warm-up");
        }
    }

    [Fact]
    public void Run_TwoTasksOnTheSameImages_EachPairScoredAmongItsOwnTasksLabels()
    {
        // Every image is labelled twice: by the "colour" task and by the "alias" task, whose label texts differ. One
        // softmax over all six texts could be right at most half the time; one per task can be right every time.
        List<TrainingExample> examples = ColourAndAlias(48);
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, seed: 5, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2 });
        using var warmup = new StemWarmup(encoder.Network, examples, ["colour", "alias"], CPU);
        Assert.Equal(96, warmup.Count);
        Assert.Equal(6, warmup.Classes);
        Assert.Equal(["colour", "alias"], warmup.Tasks);
        var steps = new List<StemWarmupStep>();
        warmup.Run(80, 12, 3e-3, seed: 1, steps.Add, CancellationToken.None);
        double late = steps.TakeLast(10).Average(s => s.Accuracy);
        Assert.True(late >= 0.8, $"accuracy over the last 10 steps {late:F2} (at most 0.5 if the tasks shared one softmax)");
        // Per task: the counts add up to the batch, and each task is learnt, not just the mean.
        Assert.All(steps, s => Assert.Equal(12, s.TaskPairs.Sum()));
        Assert.All(steps, s => Assert.Equal(s.Accuracy, s.TaskHits.Sum() / 12.0, 9));
        for (int t = 0; t < 2; t++)
        {
            double task = steps.TakeLast(10).Sum(s => s.TaskHits[t]) / (double)steps.TakeLast(10).Sum(s => s.TaskPairs[t]);
            Assert.True(task >= 0.7, $"{warmup.Tasks[t]}: accuracy over the last 10 steps {task:F2}");
        }
    }

    [Fact]
    public void Run_TaskWeight_DrawsThatTasksPairsSoMuchMoreOften()
    {
        List<TrainingExample> examples = ColourAndAlias(24);
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, seed: 5, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2 });
        using var warmup = new StemWarmup(encoder.Network, examples, ["colour", "alias"], CPU, new Dictionary<string, int> { ["alias"] = 3 });
        var steps = new List<StemWarmupStep>();
        warmup.Run(12, 8, 1e-3, seed: 1, steps.Add, CancellationToken.None);
        // 24 colour and 72 alias draws make one pass over the pool: 12 steps of 8 draw each exactly once.
        Assert.Equal(24, steps.Sum(s => s.TaskPairs[0]));
        Assert.Equal(72, steps.Sum(s => s.TaskPairs[1]));
    }

    [Fact]
    public void Run_FirstPhase_DrawsOnlyItsTasksThenEveryTask()
    {
        List<TrainingExample> examples = ColourAndAlias(24);
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, seed: 5, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2 });
        using var warmup = new StemWarmup(encoder.Network, examples, ["colour", "alias"], CPU);
        var steps = new List<StemWarmupStep>();
        warmup.Run(10, 8, 1e-3, seed: 1, steps.Add, CancellationToken.None, firstTasks: ["alias"], firstSteps: 4);
        Assert.All(steps.Take(4), s => Assert.Equal((0, 8), (s.TaskPairs[0], s.TaskPairs[1])));
        // Afterwards both tasks, drawn as in a one-phase run: 48 draws over a pool of 24 + 24.
        Assert.True(steps.Skip(4).Sum(s => s.TaskPairs[0]) >= 12, "the second phase must draw the other task too");
        Assert.True(steps.Skip(4).Sum(s => s.TaskPairs[1]) >= 12, "the second phase keeps drawing the first phase's task");
    }

    [Fact]
    public void Validate_WarmupFirst_NeedsFewerStepsAndWarmupTasks()
    {
        var options = new TrainingOptions
        {
            Manifest = "m.jsonl", OutputDirectory = _temp, StemWarmupSteps = 10, StemWarmupTasks = ["label", "colour"],
            StemWarmupFirstTasks = ["label"], StemWarmupFirstSteps = 6,
        };
        BtokTrainer.Validate(options);
        Assert.Contains("fewer than --stem-warmup", Assert.Throws<ArgumentException>(() => BtokTrainer.Validate(options with { StemWarmupFirstSteps = 10 })).Message, StringComparison.Ordinal);
        Assert.Contains("'shape'", Assert.Throws<ArgumentException>(() => BtokTrainer.Validate(options with { StemWarmupFirstTasks = ["shape"] })).Message, StringComparison.Ordinal);
    }

    /// <summary><paramref name="images"/> images labelled by colour (task "colour"), and the same images under other label texts (task "alias").</summary>
    private static List<TrainingExample> ColourAndAlias(int images)
    {
        List<TrainingExample> examples = [];
        for (int i = 0; i < images; i++)
        {
            TrainingExample colour = Labelled(i, "colour", i % 3);
            examples.Add(colour);
            examples.Add(colour with { Line = colour.Line + 1000, Task = "alias", Positive = new SideInput { TextIds = [30 + (i % 3)] } });
        }
        return examples;
    }

    [Fact]
    public void Constructor_NoLabelPairsOfTheTasks_SaysWhichTasksAndHowToFix()
    {
        List<TrainingExample> examples = [.. Enumerable.Range(0, 8).Select(i => Labelled(i, "caption", i % 2))];
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, seed: 5);
        var ex = Assert.Throws<ArgumentException>(() => new StemWarmup(encoder.Network, examples, ["image-label"], CPU));
        Assert.Contains("--stem-warmup-tasks image-label", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0 pair(s)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_WarmupWithoutTasks_Rejected()
    {
        var options = new TrainingOptions { Manifest = "m.jsonl", OutputDirectory = _temp, StemWarmupSteps = 10 };
        Assert.Contains("--stem-warmup-tasks", Assert.Throws<ArgumentException>(() => BtokTrainer.Validate(options)).Message, StringComparison.Ordinal);
        BtokTrainer.Validate(options with { StemWarmupTasks = ["label"] });
    }

    [Fact]
    public void Run_FrozenStem_TrainsInTheWarmupAndStaysFrozen()
    {
        List<TrainingExample> examples = [.. Enumerable.Range(0, 12).Select(i => Labelled(i, "colour", i % 3))];
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, seed: 5, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2 });
        Adaptation.Freeze(encoder.Network, FreezeParts.Vision);
        Tensor before = encoder.Network.PatchEmbed.parameters().First().clone();
        new StemWarmup(encoder.Network, examples, ["colour"], CPU).Run(3, 4, 1e-2, seed: 1, null, CancellationToken.None);
        Assert.False(encoder.Network.PatchEmbed.parameters().First().allclose(before));
        Assert.All(encoder.Network.PatchEmbed.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void Train_WithStemWarmup_LogsEveryWarmupStepThenTrains()
    {
        List<TrainingExample> examples = [.. Enumerable.Range(0, 16).Select(i => Labelled(i, i < 8 ? "label" : "caption", i % 2))];
        var options = new TrainingOptions
        {
            Manifest = "unused.jsonl",
            OutputDirectory = Path.Combine(_temp, "run"),
            Steps = 2,
            BatchSize = 4,
            StemWarmupSteps = 3,
            StemWarmupTasks = ["label"],
            Device = EncoderDevice.Cpu,
            Threads = 2,
        };
        var reported = new List<TrainingStepRecord>();
        TrainingResult result = BtokTrainer.Train(options, Small, examples, "data", new Collect(reported), NullLogger.Instance, CancellationToken.None);

        Assert.Equal(2, result.Steps);
        Assert.Equal([true, true, true, false, false], reported.Select(r => r.Task == BtokTrainer.StemWarmupTask));
        IReadOnlyList<TrainingStepRecord> warmup = TrainingLog.Read(Path.Combine(options.OutputDirectory, "warmup.jsonl"));
        Assert.Equal([1, 2, 3], warmup.Select(r => r.Step));
        Assert.All(warmup, r => Assert.Equal("stem-warmup", r.Task));
        Assert.Equal(2, TrainingLog.Read(Path.Combine(options.OutputDirectory, "log.jsonl")).Count);
    }

    [Fact]
    public void KeepBackward_AfterRun_GradientOnTheStemOnlyHeadFrozen()
    {
        List<TrainingExample> examples = [.. Enumerable.Range(0, 12).Select(i => Labelled(i, "colour", i % 3))];
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small, seed: 5, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2 });
        using var warmup = new StemWarmup(encoder.Network, examples, ["colour"], CPU);
        Assert.Throws<InvalidOperationException>(() => warmup.KeepBackward(0, 4, 1.0, seed: 1));
        warmup.Run(3, 4, 1e-2, seed: 1, null, CancellationToken.None);
        Dictionary<string, Tensor> head = warmup.HeadState().ToDictionary(p => p.Name, p => p.Tensor.clone());
        Assert.Equal([StemWarmup.HeadPrefix + "bias", StemWarmup.HeadPrefix + "weight"], head.Keys.Order());

        encoder.Network.zero_grad();
        double first = warmup.KeepBackward(7, 4, 2.0, seed: 1);
        Assert.True(double.IsFinite(first) && first > 0);
        foreach ((string name, Parameter p) in encoder.Network.named_parameters())
        {
            bool hasGrad = p.grad is { } g && g.abs().sum().item<float>() > 0;
            if (!name.StartsWith("patch_embed.", StringComparison.Ordinal)) Assert.False(hasGrad, $"{name} got a gradient from the keep loss");
        }
        Assert.Contains(encoder.Network.PatchEmbed.parameters(), p => p.grad is { } g && g.abs().sum().item<float>() > 0);
        Assert.All(warmup.HeadState(), p => Assert.False(p.Tensor.requires_grad));
        // The draw is a function of (seed, step): the same step gives the same loss.
        Assert.Equal(first, warmup.KeepBackward(7, 4, 2.0, seed: 1), 6);

        using var reloaded = new StemWarmup(encoder.Network, examples, ["colour"], CPU);
        reloaded.LoadHead(head);
        Assert.Equal(first, reloaded.KeepBackward(7, 4, 2.0, seed: 1), 6);
        Assert.Throws<KeyNotFoundException>(() => reloaded.LoadHead(new Dictionary<string, Tensor>()));
    }

    [Fact]
    public void Validate_StemKeep_NeedsAWarmupAndATrainableStem()
    {
        var options = new TrainingOptions
        {
            Manifest = "m.jsonl", OutputDirectory = _temp, StemWarmupSteps = 10, StemWarmupTasks = ["label"], StemKeep = 1,
        };
        BtokTrainer.Validate(options);
        Assert.Contains("--stem-warmup is 0", Assert.Throws<ArgumentException>(() => BtokTrainer.Validate(options with { StemWarmupSteps = 0 })).Message,
            StringComparison.Ordinal);
        Assert.Contains("--freeze vision", Assert.Throws<ArgumentException>(() => BtokTrainer.Validate(options with { Freeze = "vision" })).Message,
            StringComparison.Ordinal);
        Assert.Contains("--stem-keep is -1", Assert.Throws<ArgumentException>(() => BtokTrainer.Validate(options with { StemKeep = -1 })).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Train_StemKeep_LogsTheLossAndResumesExactly()
    {
        List<TrainingExample> examples = [.. Enumerable.Range(0, 16).Select(i => Labelled(i, i < 8 ? "label" : "caption", i % 2))];
        TrainingOptions Options(string name, bool resume = false) => new()
        {
            Manifest = "unused.jsonl",
            OutputDirectory = Path.Combine(_temp, name),
            Steps = 4,
            BatchSize = 4,
            StemWarmupSteps = 3,
            StemWarmupTasks = ["label"],
            StemKeep = 1,
            LearningRate = 3e-3,
            Device = EncoderDevice.Cpu,
            Threads = 2,
            Resume = resume,
        };
        // Without the keep, the saved run's settings differ.
        var (log, resumed) = StraightAndResumed(Options, o => o with { StemKeep = 0 }, Small, examples);
        Assert.All(log, r => Assert.True(r.StemKeepLoss is > 0, $"step {r.Step}: keep loss {r.StemKeepLoss}"));
        Assert.Equal(log[^1].StemKeepLoss!.Value, resumed[^1].StemKeepLoss!.Value, 6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the motion token, when on, sits after the three frames' tokens and is left out of the readout
    public void MotionKeep_LeftAgainstRight_HeadAndStemLearnTheDirection(bool motionToken)
    {
        // The same blob, the same frames, only their order differs between the classes: a max over every frame cannot
        // tell them apart; the motion readout must.
        List<TrainingExample> examples = [.. Enumerable.Range(0, 24).Select(i => Moving(i, "vlabel", i % 2))];
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Summarised with { MotionToken = motionToken }, seed: 5, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2 });
        BtokModel model = encoder.Network;
        using StemWarmup motion = StemWarmup.Motion(model, examples, ["vlabel"], CPU, seed: 1);
        Assert.Equal(2, motion.Classes);
        Assert.Throws<InvalidOperationException>(() => motion.Run(1, 4, 1e-3, seed: 1, null, CancellationToken.None));
        List<Parameter> trained = [.. model.PatchEmbed.parameters(), .. motion.HeadParameters().Select(p => p.Parameter)];
        Assert.Equal([StemWarmup.MotionHeadPrefix + "bias", StemWarmup.MotionHeadPrefix + "weight"], motion.HeadParameters().Select(p => p.Name).Order());
        using var optimizer = optim.AdamW(trained, 3e-3);
        var losses = new List<double>();
        for (int step = 0; step < 30; step++)
        {
            optimizer.zero_grad();
            model.zero_grad();
            losses.Add(motion.KeepBackward(step, 8, 1.0, seed: 1));
            if (step == 0)
            {
                foreach ((string name, Parameter p) in model.named_parameters())
                {
                    if (!name.StartsWith("patch_embed.", StringComparison.Ordinal))
                        Assert.False(p.grad is { } g && g.abs().sum().item<float>() > 0, $"{name} got a gradient from the motion loss");
                }
                Assert.All(motion.HeadParameters(), p => Assert.True(p.Parameter.grad is { } g && g.abs().sum().item<float>() > 0, $"{p.Name} has no gradient"));
            }
            optimizer.step();
        }
        double late = losses.TakeLast(5).Average();
        Assert.True(late < 0.35, $"motion loss over the last 5 steps {late:F3} (chance ln 2 = 0.693; the first 5 {losses.Take(5).Average():F3})");
        // On videos it never saw (other heights, other noise), so the head learnt direction, not the training clips.
        Dictionary<string, Tensor> saved = motion.HeadState().ToDictionary(p => p.Name, p => p.Tensor.clone());
        List<TrainingExample> unseen = [.. Enumerable.Range(100, 16).Select(i => Moving(i, "vlabel", i % 2))];
        using (StemWarmup check = StemWarmup.Motion(model, unseen, ["vlabel"], CPU, seed: 2))
        {
            check.LoadHead(saved);
            double held = check.KeepBackward(0, 16, 1.0, seed: 3);
            Assert.True(held < 0.35, $"motion loss on unseen videos {held:F3} (chance 0.693)");
        }

        // Reloading copies into the same parameters the optimiser holds, and the same step draws the same videos.
        Parameter weight = motion.HeadParameters().First(p => p.Name.EndsWith("weight", StringComparison.Ordinal)).Parameter;
        double again = motion.KeepBackward(3, 8, 1.0, seed: 1);
        using (no_grad()) weight.zero_();
        motion.LoadHead(saved);
        Assert.Same(weight, motion.HeadParameters().First(p => p.Name.EndsWith("weight", StringComparison.Ordinal)).Parameter);
        Assert.True(weight.requires_grad);
        Assert.Equal(again, motion.KeepBackward(3, 8, 1.0, seed: 1), 6);
    }

    [Fact]
    public void Motion_NoFrameSummaryOrNoVideos_SaysHowToFix()
    {
        using BtokEncoder plain = BtokEncoder.CreateRandom(Small, seed: 5);
        List<TrainingExample> videos = [.. Enumerable.Range(0, 4).Select(i => Moving(i, "vlabel", i % 2))];
        Assert.Contains("--frame-summary", Assert.Throws<ArgumentException>(() => StemWarmup.Motion(plain.Network, videos, ["vlabel"], CPU, 1)).Message,
            StringComparison.Ordinal);
        using BtokEncoder summarised = BtokEncoder.CreateRandom(Summarised, seed: 5);
        // Image label pairs are not motion: a single frame has nothing to compare.
        List<TrainingExample> images = [.. Enumerable.Range(0, 4).Select(i => Labelled(i, "vlabel", i % 2))];
        var ex = Assert.Throws<ArgumentException>(() => StemWarmup.Motion(summarised.Network, images, ["vlabel"], CPU, 1));
        Assert.Contains("--motion-keep-tasks vlabel", ex.Message, StringComparison.Ordinal);
        Assert.Contains("a video query", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MotionKeep_NeedsTasksAndATrainableStem()
    {
        var options = new TrainingOptions { Manifest = "m.jsonl", OutputDirectory = _temp, MotionKeep = 1, MotionKeepTasks = ["video-label"] };
        BtokTrainer.Validate(options);
        Assert.Contains("--motion-keep-tasks", Assert.Throws<ArgumentException>(() => BtokTrainer.Validate(options with { MotionKeepTasks = [] })).Message,
            StringComparison.Ordinal);
        Assert.Contains("--freeze vision", Assert.Throws<ArgumentException>(() => BtokTrainer.Validate(options with { Freeze = "vision" })).Message,
            StringComparison.Ordinal);
        Assert.Contains("--motion-keep is -1", Assert.Throws<ArgumentException>(() => BtokTrainer.Validate(options with { MotionKeep = -1 })).Message,
            StringComparison.Ordinal);
        Assert.Contains("--motion-keep-videos is 0", Assert.Throws<ArgumentException>(() => BtokTrainer.Validate(options with { MotionKeepVideos = 0 })).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Train_MotionKeep_LogsTheLossAndResumesExactly()
    {
        List<TrainingExample> examples = [.. Enumerable.Range(0, 16).Select(i => i < 8 ? Moving(i, "vlabel", i % 2) : Labelled(i, "caption", i % 2))];
        TrainingOptions Options(string name, bool resume = false) => new()
        {
            Manifest = "unused.jsonl",
            OutputDirectory = Path.Combine(_temp, name),
            Steps = 4,
            BatchSize = 4,
            MotionKeep = 1,
            MotionKeepTasks = ["vlabel"],
            MotionKeepVideos = 3,
            LearningRate = 3e-3,
            Device = EncoderDevice.Cpu,
            Threads = 2,
            Resume = resume,
        };
        // With the motion token on, so the whole trainer runs clips one token longer than their frames.
        var (log, resumed) = StraightAndResumed(Options, o => o with { MotionKeepVideos = 4 }, Summarised with { MotionToken = true }, examples);
        Assert.All(log, r => Assert.True(r.MotionKeepLoss is > 0, $"step {r.Step}: motion loss {r.MotionKeepLoss}"));
        Assert.Equal(log[^1].MotionKeepLoss!.Value, resumed[^1].MotionKeepLoss!.Value, 6);
        // The exported model is the encoder alone: the motion head stays in the training checkpoint.
        using BtokEncoder exported = BtokEncoder.Load(Path.Combine(_temp, "straight"));
        Assert.DoesNotContain(exported.Network.state_dict().Keys, k => k.StartsWith(StemWarmup.MotionHeadPrefix, StringComparison.Ordinal));
        Assert.Contains("patch_embed.motion_token.weight", exported.Network.state_dict().Keys);
    }

    /// <summary>
    /// Trains options("straight", false) through, and options("resumed", false) until its second main step; checks that a
    /// resume with <paramref name="changed"/> settings is refused, resumes with the same ones, and asserts both runs end
    /// with the same weights. Returns both runs' logs.
    /// </summary>
    private (IReadOnlyList<TrainingStepRecord> Straight, IReadOnlyList<TrainingStepRecord> Resumed) StraightAndResumed(
        Func<string, bool, TrainingOptions> options, Func<TrainingOptions, TrainingOptions> changed, BtokConfig config, List<TrainingExample> examples)
    {
        BtokTrainer.Train(options("straight", false), config, examples, "data", null, NullLogger.Instance, CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var stopAtTwo = new Collect(r =>
        {
            if (r.Task != BtokTrainer.StemWarmupTask && r.Step == 2) cts.Cancel();
        });
        Assert.Throws<OperationCanceledException>(() =>
            BtokTrainer.Train(options("resumed", false), config, examples, "data", stopAtTwo, NullLogger.Instance, cts.Token));
        Assert.Throws<ModelLoadException>(() => BtokTrainer.Train(changed(options("resumed", true)), config, examples, "data",
            null, NullLogger.Instance, CancellationToken.None));
        BtokTrainer.Train(options("resumed", true), config, examples, "data", null, NullLogger.Instance, CancellationToken.None);
        AssertSameWeights(Path.Combine(_temp, "straight"), Path.Combine(_temp, "resumed"));
        return (TrainingLog.Read(Path.Combine(_temp, "straight", "log.jsonl")), TrainingLog.Read(Path.Combine(_temp, "resumed", "log.jsonl")));
    }

    private static void AssertSameWeights(string straight, string resumed)
    {
        using BtokEncoder a = BtokEncoder.Load(straight);
        using BtokEncoder b = BtokEncoder.Load(resumed);
        Dictionary<string, Tensor> wb = b.Network.state_dict();
        foreach ((string name, Tensor wa) in a.Network.state_dict())
        {
            double diff = (wa - wb[name]).abs().max().item<float>();
            Assert.True(diff <= 1e-6, $"{name}: resumed weights differ by {diff}");
        }
    }

    private sealed class Collect(Action<TrainingStepRecord> report) : IProgress<TrainingStepRecord>
    {
        public Collect(List<TrainingStepRecord> into) : this(into.Add) { }

        public void Report(TrainingStepRecord value) => report(value);
    }

    /// <summary>Noise with a 6 px blob of colour <paramref name="label"/> (red, green or blue) somewhere; the label text names it.</summary>
    private static TrainingExample Labelled(int i, string task, int label)
    {
        var random = new Random(i);
        int s = Small.ImageSize;
        var pixels = new float[3 * s * s];
        for (int k = 0; k < pixels.Length; k++) pixels[k] = (float)(random.NextDouble() * 0.6 - 0.3);
        int y0 = random.Next(s - 6), x0 = random.Next(s - 6);
        for (int c = 0; c < 3; c++)
            for (int y = y0; y < y0 + 6; y++)
                for (int x = x0; x < x0 + 6; x++)
                    pixels[(c * s + y) * s + x] = c == label ? 1f : -1f;
        var query = new SideInput { Pixels = pixels, Frames = 1, TextIds = [5, 6] };
        return new TrainingExample(i + 1, task, query, new SideInput { TextIds = [10 + label, 20] }, [], null, TargetSide.Query);
    }

    /// <summary>Four frames of noise with a 6 px white blob crossing the frame left to right (<paramref name="direction"/>
    /// 1) or right to left (0), at a height of its own; the label text names the direction.</summary>
    private static TrainingExample Moving(int i, string task, int direction)
    {
        const int frames = 4;
        var random = new Random(i);
        int s = Small.ImageSize, plane = 3 * s * s;
        var pixels = new float[frames * plane];
        for (int k = 0; k < pixels.Length; k++) pixels[k] = (float)(random.NextDouble() * 0.6 - 0.3);
        int y0 = random.Next(s - 6);
        for (int f = 0; f < frames; f++)
        {
            int step = direction == 1 ? f : frames - 1 - f;
            int x0 = 2 + step * (s - 10) / (frames - 1);
            for (int c = 0; c < 3; c++)
                for (int y = y0; y < y0 + 6; y++)
                    for (int x = x0; x < x0 + 6; x++)
                        pixels[f * plane + (c * s + y) * s + x] = 1f;
        }
        var query = new SideInput { Pixels = pixels, Frames = frames, TextIds = [5, 6] };
        return new TrainingExample(i + 1, task, query, new SideInput { TextIds = [30 + direction, 20] }, [], null, TargetSide.Query);
    }
}
