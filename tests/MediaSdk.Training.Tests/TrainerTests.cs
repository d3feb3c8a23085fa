using MediaSdk.Model;
using MediaSdk.Model.Nn;
using MediaSdk.Training.Data;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace MediaSdk.Training.Tests;

/// <summary>The trainer's step: padding, GradCache, the two GIC forms on padded batches, lambda, resume.</summary>
public sealed class TrainerTests : IDisposable
{
    private static readonly BtokConfig Small = SmallModels.SmallVocabulary;

    private readonly BtokEncoder _encoder;
    private readonly BtokModel _model;
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "msdk-trainer-" + Guid.NewGuid().ToString("N"));

    public TrainerTests()
    {
        _encoder = BtokEncoder.CreateRandom(Small, seed: 3, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2 });
        _model = _encoder.Network;
        _model.to(ScalarType.Float64);
    }

    public void Dispose()
    {
        _encoder.Dispose();
        if (Directory.Exists(_temp)) Directory.Delete(_temp, recursive: true);
    }

    [Fact]
    public void Embed_SampleInsidePaddedBatch_EqualsSampleAlone()
    {
        using var scope = NewDisposeScope();
        using IDisposable noGrad = no_grad();
        var computer = Computer(GicForm.Kv, chunk: null);
        List<SideInput> sides = [Video(1, 2, [5, 6, 7]), Text(2, 3), Text(3, 11), Video(4, 1, [])];
        Tensor batch = computer.Embed(sides, 0, sides.Count);
        for (int i = 0; i < sides.Count; i++)
        {
            Tensor alone = computer.Embed(sides, i, 1);
            AssertClose(alone[0], batch[i], $"sample {i}");
        }
    }

    [Theory]
    [InlineData(TargetAttention.Condensation, 2)]
    [InlineData(TargetAttention.Full, 2)]
    [InlineData(TargetAttention.Condensation, 0)]
    public void Backward_KvAndMaskFormOnPaddedBatch_SameLossAndGradients(TargetAttention mask, int btoks)
    {
        using var scope = NewDisposeScope();
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Small with { BottleneckTokens = btoks }, seed: 5, new EncoderOptions { Device = EncoderDevice.Cpu });
        BtokModel model = encoder.Network;
        model.to(ScalarType.Float64);
        List<TrainingExample> batch = Batch();
        var kv = new StepComputer(model, 0.05, GicForm.Kv, mask, null, ScalarType.Float64, CPU);
        var explicitMask = new StepComputer(model, 0.05, GicForm.Mask, mask, null, ScalarType.Float64, CPU);

        StepLosses a = kv.Backward(batch, 2.0);
        Dictionary<string, Tensor> ga = Gradients(model);
        StepLosses b = explicitMask.Backward(batch, 2.0);
        Dictionary<string, Tensor> gb = Gradients(model);

        Assert.NotNull(a.Ntp);
        Assert.Equal(a.Loss, b.Loss, 1e-9);
        Assert.Equal(a.Ntp!.Value, b.Ntp!.Value, 1e-9);
        Assert.Equal(ga.Keys.Order(), gb.Keys.Order());
        foreach ((string name, Tensor g) in ga) AssertClose(g, gb[name], name);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void GradCache_ChunkedBatch_SameGradientsAsDirectStep(double uniformity)
    {
        using var scope = NewDisposeScope();
        List<TrainingExample> batch = Batch();
        StepLosses direct = Computer(GicForm.Kv, chunk: null, uniformity).Backward(batch, 2.0);
        Dictionary<string, Tensor> gd = Gradients(_model);
        StepLosses cached = Computer(GicForm.Kv, chunk: 2, uniformity).Backward(batch, 2.0);
        Dictionary<string, Tensor> gc = Gradients(_model);

        Assert.Equal(direct.Loss, cached.Loss, 1e-9);
        Assert.Equal(direct.InfoNce, cached.InfoNce, 1e-9);
        Assert.Equal(direct.TextCosine!.Value, cached.TextCosine!.Value, 1e-9);
        // The uniformity term is part of the loss only when weighted; InfoNCE itself does not change.
        Assert.Equal(uniformity > 0, Math.Abs(direct.Loss - direct.InfoNce - direct.LambdaEffective * direct.Ntp!.Value) > 1e-6);
        Assert.Equal(direct.Ntp!.Value, cached.Ntp!.Value, 1e-9);
        Assert.True(gd.Count >= Small.Layers * 9 + 4, $"only {gd.Count} parameters had gradients");
        foreach ((string name, Tensor g) in gd) AssertClose(g, gc[name], name);
    }

    [Fact]
    public void EffectiveLambda_ScaledByFractionWithTarget_ZeroWhenOff()
    {
        List<TrainingExample> batch = Batch(); // 3 of 5 have a target
        Assert.Equal(5.0 * 3 / 5, StepComputer.EffectiveLambda(5.0, batch), 12);
        Assert.Equal(0.0, StepComputer.EffectiveLambda(0.0, batch));
        using var scope = NewDisposeScope();
        StepLosses off = Computer(GicForm.Kv, null).Backward(batch, 0.0);
        Assert.Null(off.Ntp);
        Assert.Equal(off.InfoNce, off.Loss, 12);
    }

    [Fact]
    public void BatchPlan_SameSeed_SameBatchesOneTaskEach()
    {
        var examples = new List<TrainingExample>();
        for (int i = 0; i < 23; i++) examples.Add(Pair(i, i % 3 == 0 ? "a" : "b", target: false));
        var plan = new BatchPlan(examples, 4, seed: 9);
        var again = new BatchPlan(examples, 4, seed: 9);
        for (int step = 0; step < 3 * plan.BatchesPerEpoch; step++)
        {
            int[] batch = plan.Batch(step);
            Assert.Equal(batch, again.Batch(step));
            Assert.InRange(batch.Length, 2, 4);
            Assert.Single(batch.Select(i => examples[i].Task).Distinct());
        }
        Assert.NotEqual(plan.Batch(0), new BatchPlan(examples, 4, seed: 10).Batch(0));
    }

    [Fact]
    public void BatchPlan_TaskWeights_RepeatEachPairPerEpochAndZeroLeavesTheTaskOut()
    {
        // Labels ("l", weight 3) ride in caption batches ("c", weight 1); "q" (weight 0) is left out.
        List<TrainingExample> examples = LabelsInCaptionBatches();
        var weights = new Dictionary<string, int> { ["l"] = 3, ["q"] = 0 };
        var plan = new BatchPlan(examples, 5, seed: 3, weights);
        var again = new BatchPlan(examples, 5, seed: 3, weights);
        Assert.Equal(8, plan.BatchesPerEpoch); // 10 captions + 3 x 10 labels in batches of 5
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var seen = new int[examples.Count];
            for (int s = epoch * plan.BatchesPerEpoch; s < (epoch + 1) * plan.BatchesPerEpoch; s++)
            {
                Assert.Equal(plan.Batch(s), again.Batch(s));
                foreach (int i in plan.Batch(s)) seen[i]++;
            }
            for (int i = 0; i < examples.Count; i++)
                Assert.Equal(examples[i].Task switch { "l" => 3, "c" => 1, _ => 0 }, seen[i]);
        }
        // Weight 1 everywhere is the unweighted plan, batch for batch.
        var plain = new BatchPlan(examples, 5, seed: 3);
        var ones = new BatchPlan(examples, 5, seed: 3, new Dictionary<string, int> { ["l"] = 1 });
        for (int s = 0; s < plain.BatchesPerEpoch; s++) Assert.Equal(plain.Batch(s), ones.Batch(s));
    }

    [Fact]
    public void RunSettings_TaskWeights_CanonicalAndNullWhenAllOne()
    {
        // null is what a state.json written before task weights reads as, so such a run still resumes.
        Assert.Null(RunSettings.TaskWeightsText(new Dictionary<string, int>()));
        Assert.Null(RunSettings.TaskWeightsText(new Dictionary<string, int> { ["a"] = 1 }));
        Assert.Equal("b=2,c=0", RunSettings.TaskWeightsText(new Dictionary<string, int> { ["c"] = 0, ["a"] = 1, ["b"] = 2 }));
    }

    [Fact]
    public void BatchPlan_WeightOfATaskTheManifestLacks_NamesTheTasks()
    {
        var examples = new List<TrainingExample>();
        for (int i = 0; i < 6; i++) examples.Add(Pair(i, i % 2 == 0 ? "a" : "b", target: false));
        var ex = Assert.Throws<ArgumentException>(() => new BatchPlan(examples, 2, seed: 1, new Dictionary<string, int> { ["image-label"] = 2 }));
        Assert.Contains("--task-weight names task 'image-label'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("its tasks are a, b", ex.Message, StringComparison.Ordinal);
        Assert.Contains("weight 0", Assert.Throws<ArgumentException>(() =>
            new BatchPlan(examples, 2, seed: 1, new Dictionary<string, int> { ["a"] = 0, ["b"] = 0 })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchPlan_BatchKey_MixesTasksThatNameTheSameBatches()
    {
        // Labels (task "l") ride in caption batches ("c"); "q" keeps batches of its own.
        List<TrainingExample> examples = LabelsInCaptionBatches();
        var plan = new BatchPlan(examples, 5, seed: 3);
        bool mixed = false;
        for (int step = 0; step < plan.BatchesPerEpoch; step++)
        {
            string[] tasks = [.. plan.Batch(step).Select(i => examples[i].Task).Distinct().Order(StringComparer.Ordinal)];
            Assert.True(tasks is ["q"] or ["c"] or ["l"] or ["c", "l"], string.Join(",", tasks));
            mixed |= tasks.Length == 2;
        }
        Assert.True(mixed);
        Assert.Equal(30, Enumerable.Range(0, plan.BatchesPerEpoch).Sum(s => plan.Batch(s).Length));
    }

    /// <summary>30 pairs: tasks "l", "c" and "q" in turn; "l" (labels) rides in "c" (caption) batches.</summary>
    private static List<TrainingExample> LabelsInCaptionBatches()
    {
        var examples = new List<TrainingExample>();
        for (int i = 0; i < 30; i++)
        {
            TrainingExample e = Pair(i, i % 3 == 0 ? "l" : i % 3 == 1 ? "c" : "q", target: false);
            examples.Add(e.Task == "l" ? e with { Batch = "c" } : e);
        }
        return examples;
    }

    [Fact]
    public void Schedule_WarmupThenLinearDecay()
    {
        Assert.Equal(0.1, BtokTrainer.Schedule(0, 100, 10, 1.0), 12);
        Assert.Equal(1.0, BtokTrainer.Schedule(9, 100, 10, 1.0), 12);
        Assert.Equal(1.0, BtokTrainer.Schedule(10, 100, 10, 1.0), 12);
        Assert.Equal(0.5, BtokTrainer.Schedule(55, 100, 10, 1.0), 12);
        Assert.True(BtokTrainer.Schedule(99, 100, 10, 1.0) > 0);
    }

    [Fact]
    public void Train_StopResume_EqualsUninterruptedRun()
    {
        var examples = new List<TrainingExample>();
        for (int i = 0; i < 12; i++) examples.Add(Pair(i, i < 6 ? "a" : "b", target: i % 2 == 0));
        TrainingOptions Options(string name, bool resume = false) => new()
        {
            Manifest = "unused.jsonl",
            OutputDirectory = Path.Combine(_temp, name),
            Steps = 6,
            BatchSize = 4,
            NtpFraction = 0.5,
            LearningRate = 3e-3,
            WarmupSteps = 2,
            Seed = 4,
            Device = EncoderDevice.Cpu,
            Threads = 2,
            Resume = resume,
        };
        BtokConfig shape = Small with { ModelId = "resume-test" };

        TrainingResult straight = BtokTrainer.Train(Options("straight"), shape, examples, "data", null, NullLogger.Instance, CancellationToken.None);

        using var cts = new CancellationTokenSource();
        var stopAtThree = new SyncProgress(r =>
        {
            if (r.Step == 3) cts.Cancel();
        });
        Assert.Throws<OperationCanceledException>(() =>
            BtokTrainer.Train(Options("resumed"), shape, examples, "data", stopAtThree, NullLogger.Instance, cts.Token));
        Assert.Throws<ArgumentException>(() => TrainerCheckpoint.CheckOutput(Options("resumed")));
        Assert.Throws<ModelLoadException>(() =>
            BtokTrainer.Train(Options("resumed", resume: true) with { Temperature = 0.5 }, shape, examples, "data", null, NullLogger.Instance, CancellationToken.None));
        double beforeStop = TrainingLog.Read(Path.Combine(_temp, "resumed", "log.jsonl")).Single(r => r.Step == 3).ElapsedSeconds;
        var wall = System.Diagnostics.Stopwatch.StartNew();
        TrainingResult resumed = BtokTrainer.Train(Options("resumed", resume: true), shape, examples, "data", null, NullLogger.Instance, CancellationToken.None);
        // The clock goes on from the checkpoint: the run's time is the stopped part's plus the resumed part's.
        Assert.True(resumed.Elapsed.TotalSeconds >= beforeStop + wall.Elapsed.TotalSeconds - 0.05,
            $"resumed run reports {resumed.Elapsed.TotalSeconds:F2} s; {beforeStop:F2} s before the stop + {wall.Elapsed.TotalSeconds:F2} s after");
        Assert.True(TrainingLog.Read(Path.Combine(_temp, "resumed", "log.jsonl")).Single(r => r.Step == 4).ElapsedSeconds > beforeStop);

        Assert.Equal(6, straight.Steps);
        Assert.Equal(6, resumed.Steps);
        Assert.Equal(straight.FinalLoss, resumed.FinalLoss, 1e-6);
        using BtokEncoder a = BtokEncoder.Load(Path.Combine(_temp, "straight"));
        using BtokEncoder b = BtokEncoder.Load(Path.Combine(_temp, "resumed"));
        Dictionary<string, Tensor> wb = b.Network.state_dict();
        int changed = 0;
        foreach ((string name, Tensor wa) in a.Network.state_dict())
        {
            double diff = (wa - wb[name]).abs().max().item<float>();
            Assert.True(diff <= 1e-6, $"{name}: resumed weights differ by {diff}");
        }
        using BtokEncoder init = BtokEncoder.CreateRandom(shape, 4);
        foreach ((string name, Tensor wa) in a.Network.state_dict())
            changed += (wa - init.Network.state_dict()[name]).abs().max().item<float>() > 0 ? 1 : 0;
        Assert.True(changed > 10, "training did not change the weights");
        Assert.True(File.Exists(Path.Combine(_temp, "resumed", "log.jsonl")));
    }

    [Fact]
    public void NtpSum_PrefixAndPaddingCarryNoLoss()
    {
        using var scope = NewDisposeScope();
        int[] a = [5, 6, 7, 8], b = [9, 10];
        TargetBatch targets = TargetBatch.Create([(0, a), (1, b)], ScalarType.Float64, CPU)!;
        Assert.Equal(3 + 1, targets.Tokens);
        Tensor logits = randn(2, 4, Small.VocabSize, dtype: ScalarType.Float64, generator: new TorchSharp.torch.Generator(8));
        Tensor logp = nn.functional.log_softmax(logits, -1);
        double expected = 0;
        foreach ((int row, int[] ids) in new[] { (0, a), (1, b) })
            for (int j = 1; j < ids.Length; j++) expected -= logp[row, j - 1, ids[j]].item<double>();
        Assert.Equal(expected, GenerativeForward.NtpSum(_model, logits, targets).item<double>(), 10);
    }

    [Fact]
    public void Train_InitWithLoraAndFrozenBase_ExportsMergedPlainCheckpoint()
    {
        string init = Path.Combine(_temp, "init");
        BtokConfig shape = Small with { ModelId = "lora-test" };
        using (BtokEncoder start = BtokEncoder.CreateRandom(shape, 11)) start.Save(init);
        var examples = new List<TrainingExample>();
        for (int i = 0; i < 8; i++) examples.Add(Pair(i, "a", target: true));
        var options = new TrainingOptions
        {
            Manifest = "unused.jsonl",
            OutputDirectory = Path.Combine(_temp, "lora"),
            InitModel = init,
            Steps = 3,
            BatchSize = 4,
            LearningRate = 1e-2,
            LoraRank = 2,
            Freeze = "all-but-btoks",
            Device = EncoderDevice.Cpu,
            Threads = 2,
        };
        TrainingResult result = BtokTrainer.Train(options, BtokTrainer.StartConfig(options), examples, "data", null, NullLogger.Instance, CancellationToken.None);

        Assert.Equal(3, result.Steps);
        using BtokEncoder before = BtokEncoder.Load(init);
        using BtokEncoder after = BtokEncoder.Load(options.OutputDirectory); // plain names only: adapters were merged
        Dictionary<string, Tensor> b0 = before.Network.state_dict(), a0 = after.Network.state_dict();
        Assert.Equal(b0.Keys.Order(), a0.Keys.Order());
        bool Changed(string name) => (b0[name] - a0[name]).abs().max().item<float>() > 0;
        Assert.True(Changed("layers.0.self_attn.q_proj.weight"), "the merged adapter did not change q_proj");
        Assert.True(Changed("layers.1.mlp.down_proj.weight"), "the merged adapter did not change down_proj");
        Assert.True(Changed(BtokModel.BtoksName));
        Assert.False(Changed("layers.0.mlp.gate_proj.weight"), "a frozen weight without an adapter changed");
        Assert.False(Changed("embed_tokens.weight"));
    }

    [Fact]
    public void Train_BFloat16_FiniteLossAndWeightsMove()
    {
        var examples = new List<TrainingExample>();
        for (int i = 0; i < 8; i++) examples.Add(Pair(i, "a", target: i % 2 == 0));
        var options = new TrainingOptions
        {
            Manifest = "unused.jsonl",
            OutputDirectory = Path.Combine(_temp, "bf16"),
            Steps = 3,
            BatchSize = 4,
            LearningRate = 1e-2,
            BFloat16 = true,
            Seed = 2,
            Device = EncoderDevice.Cpu,
            Threads = 2,
        };
        TrainingResult result = BtokTrainer.Train(options, Small, examples, "data", null, NullLogger.Instance, CancellationToken.None);
        Assert.True(double.IsFinite(result.FinalLoss));
        using BtokEncoder trained = BtokEncoder.Load(options.OutputDirectory);
        using BtokEncoder init = BtokEncoder.CreateRandom(Small, 2);
        double moved = (trained.Network.state_dict()["layers.0.self_attn.q_proj.weight"] - init.Network.state_dict()["layers.0.self_attn.q_proj.weight"]).abs().max().item<float>();
        Assert.True(moved > 1e-4, $"bf16 training moved q_proj by only {moved}");
    }

    [Fact]
    public void Train_TargetVocabulary_HeadScoresOnlyTargetTokensAndRoundTrips()
    {
        var examples = new List<TrainingExample>();
        for (int i = 0; i < 8; i++) examples.Add(Pair(i, "a", target: true));
        var options = new TrainingOptions
        {
            Manifest = "unused.jsonl",
            OutputDirectory = Path.Combine(_temp, "vocab"),
            Steps = 2,
            BatchSize = 4,
            NtpVocabulary = NtpVocabulary.Targets,
            Device = EncoderDevice.Cpu,
            Threads = 2,
        };
        BtokTrainer.Train(options, Small, examples, "data", null, NullLogger.Instance, CancellationToken.None);
        int[] expected = [.. examples.SelectMany(e => e.TargetIds!).Where(t => t < Small.VocabSize).Distinct().Order()];

        using BtokEncoder loaded = BtokEncoder.Load(options.OutputDirectory);
        Assert.Equal(expected, loaded.Network.OutputTokens);
        using var scope = NewDisposeScope();
        Tensor logits = loaded.Network.TiedLogits(zeros(1, 3, Small.DModel));
        Assert.Equal([1, 3, expected.Length], logits.shape);
        Assert.Equal(expected[2], loaded.Network.OutputToken(2));
        Assert.Equal([0L, 1L], loaded.Network.OutputClasses(tensor(new long[] { expected[0], expected[1] })).data<long>().ToArray());
        int outside = Enumerable.Range(0, Small.VocabSize).First(t => !expected.Contains(t));
        Assert.Throws<ArgumentException>(() => loaded.Network.OutputClasses(tensor(new long[] { outside })));
    }

    [Fact]
    public void Excluded_OwnNegatives_PairWithNegativesScoredAmongItsOwnCandidatesOnly()
    {
        // Pair 0 asks a shape (negatives n0, n1), pair 1 a colour (negative n2), pair 2 is a caption (no negatives).
        List<TrainingExample> batch =
        [
            new(1, "image-label", Text(1, 4), Text(7, 3), [Text(8, 3), Text(9, 3)], null, TargetSide.Query),
            new(2, "image-colour", Text(2, 5), Text(10, 3), [Text(11, 3)], null, TargetSide.Query),
            new(3, "caption", Text(3, 6), Text(12, 3), [], null, TargetSide.Query),
        ];
        List<SideInput> negatives = [.. batch.SelectMany(e => e.Negatives)];
        Assert.Null(StepComputer.Excluded(batch, negatives, ownNegatives: false));
        bool[,] mask = StepComputer.Excluded(batch, negatives, ownNegatives: true)!;
        // Columns: positives 0-2, then n0 n1 (pair 0's) and n2 (pair 1's).
        bool[][] expected =
        [
            [false, true, true, false, false, true],
            [true, false, true, true, true, false],
            [false, false, false, false, false, false],
        ];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 6; j++) Assert.True(expected[i][j] == mask[i, j], $"mask[{i}, {j}] is {mask[i, j]}");
    }

    [Fact]
    public void InfoNce_PairsSharingAPositive_DuplicateIsNotANegative()
    {
        SideInput label = Text(7, 3);
        List<TrainingExample> batch =
        [
            new(1, "t", Text(1, 4), label, [label], null, TargetSide.Query),
            new(2, "t", Text(2, 5), label, [], null, TargetSide.Query),
            new(3, "t", Text(3, 6), Text(8, 3), [], null, TargetSide.Query),
        ];
        bool[,] mask = StepComputer.SameAsPositive(batch, [label])!;
        Assert.True(mask[0, 1] && mask[1, 0] && mask[0, 3] && mask[1, 3]);
        Assert.False(mask[0, 2] || mask[2, 0] || mask[2, 3] || mask[0, 0]);

        using var scope = NewDisposeScope();
        Tensor q = randn(3, 4, dtype: ScalarType.Float64, generator: new TorchSharp.torch.Generator(3));
        Tensor c = randn(4, 4, dtype: ScalarType.Float64, generator: new TorchSharp.torch.Generator(4));
        (Tensor loss, _) = Computer(GicForm.Kv, null).InfoNce(q, c.narrow(0, 0, 3), c.narrow(0, 3, 1), mask);
        Tensor logits = q.matmul(c.t()) / 0.05;
        double expected = 0;
        for (int i = 0; i < 3; i++)
        {
            var kept = Enumerable.Range(0, 4).Where(j => j == i || !mask[i, j]).Select(j => logits[i, j].item<double>()).ToArray();
            double max = kept.Max();
            expected += -(logits[i, i].item<double>() - (max + Math.Log(kept.Sum(v => Math.Exp(v - max)))));
        }
        Assert.Equal(expected / 3, loss.item<double>(), 9);
    }

    [Fact]
    public void Uniformity_ZeroWhenCollapsedMinusFourWhenOrthogonal_GradientSpreadsTheClosestPair()
    {
        using var scope = NewDisposeScope();
        (Tensor collapsed, double same) = StepComputer.Uniformity(ones(3, 4, dtype: ScalarType.Float64) / 2);
        Assert.Equal(0, collapsed.item<double>(), 9);
        Assert.Equal(1, same, 9);
        (Tensor orthogonal, double apart) = StepComputer.Uniformity(eye(4, dtype: ScalarType.Float64));
        Assert.Equal(-4, orthogonal.item<double>(), 9);
        Assert.Equal(0, apart, 9);

        // Rows 0 and 1 nearly coincide, row 2 is far: a gradient step on the unit sphere moves 0 and 1 apart.
        Tensor rows = tensor(new double[] { 1, 0, 0, 0.999, 0.0447, 0, 0, 0, 1 }, [3, 3]);
        Tensor leaf = (rows / rows.norm(1, keepdim: true)).requires_grad_(true);
        StepComputer.Uniformity(leaf).Loss.backward();
        using (no_grad())
        {
            Tensor moved = leaf - leaf.grad! * 0.01;
            moved = moved / moved.norm(1, keepdim: true);
            double before = leaf[0].dot(leaf[1]).item<double>(), after = moved[0].dot(moved[1]).item<double>();
            Assert.True(after < before, $"cosine of the close pair went from {before} to {after}");
        }
    }

    [Fact]
    public void DistinctTexts_TextOnlyCandidatesOnceEach()
    {
        SideInput label = Text(7, 3);
        List<TrainingExample> batch =
        [
            new(1, "t", Text(1, 4), label, [Text(8, 3), Video(9, 1, [])], null, TargetSide.Query),
            new(2, "t", Text(2, 5), new SideInput { TextIds = Ids(7, 3) }, [], null, TargetSide.Query),
            new(3, "t", Text(3, 6), Video(10, 1, [5]), [], null, TargetSide.Query),
        ];
        // Columns: positives 0-2, then the negatives 3 (text 8) and 4 (video). Column 1 repeats column 0's text.
        Assert.Equal([0L, 3L], StepComputer.DistinctTexts(batch, [.. batch.SelectMany(e => e.Negatives)]));
    }

    private sealed class SyncProgress(Action<TrainingStepRecord> report) : IProgress<TrainingStepRecord>
    {
        public void Report(TrainingStepRecord value) => report(value);
    }

    private StepComputer Computer(GicForm form, int? chunk, double uniformity = 0) =>
        new(_model, 0.05, form, TargetAttention.Condensation, chunk, ScalarType.Float64, CPU, uniformity);

    /// <summary>Five pairs of mixed kinds and lengths: 3 with targets (2 from the query, 1 from the positive), 2 hard negatives.</summary>
    private static List<TrainingExample> Batch() =>
    [
        new(1, "t", Video(10, 2, [3, 4]), Text(11, 5), [Text(12, 4)], Ids(13, 6), TargetSide.Query),
        new(2, "t", Text(20, 9), Text(21, 3), [], null, TargetSide.Query),
        new(3, "t", Video(30, 1, []), Text(31, 7), [], Ids(33, 4), TargetSide.Query),
        new(4, "t", Text(40, 2), Video(41, 2, [8]), [Video(42, 1, [])], Ids(43, 9), TargetSide.Positive),
        new(5, "t", Video(50, 2, []), Text(51, 6), [], null, TargetSide.Query),
    ];

    private static TrainingExample Pair(int i, string task, bool target) =>
        new(i + 1, task, Text(100 + i, 3 + (i % 4)), Text(200 + i, 2 + (i % 3)), [], target ? Ids(300 + i, 5) : null, TargetSide.Query);

    private static SideInput Video(int seed, int frames, int[] text)
    {
        var random = new Random(seed);
        var pixels = new float[frames * 3 * Small.ImageSize * Small.ImageSize];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)(random.NextDouble() * 2 - 1);
        return new SideInput { Pixels = pixels, Frames = frames, TextIds = text };
    }

    private static SideInput Text(int seed, int length) => new() { TextIds = Ids(seed, length) };

    private static int[] Ids(int seed, int length)
    {
        var random = new Random(seed);
        var ids = new int[length];
        for (int i = 0; i < length; i++) ids[i] = random.Next(Small.VocabSize);
        return ids;
    }

    private static Dictionary<string, Tensor> Gradients(BtokModel model)
    {
        var grads = new Dictionary<string, Tensor>();
        foreach ((string name, TorchSharp.Modules.Parameter p) in model.named_parameters())
        {
            if (p.grad is { } g) grads[name] = g.clone();
        }
        model.zero_grad();
        return grads;
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        double scale = Math.Max(expected.abs().max().item<double>(), 1e-12);
        double diff = (expected - actual).abs().max().item<double>();
        Assert.True(diff / scale <= 1e-5, $"{what}: relative difference {diff / scale:g3}");
    }
}
