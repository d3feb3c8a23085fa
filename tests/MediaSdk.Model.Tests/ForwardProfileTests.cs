using System.Diagnostics;
using System.Globalization;
using System.Text;
using TorchSharp;
using static MediaSdk.Model.Tests.TestModels;
using static TorchSharp.torch;

namespace MediaSdk.Model.Tests;

/// <summary>
/// Per-stage profile of the default window forward, reference (pre-optimisation) path vs the encoder's, interleaved
/// call by call in one process. Explicit (opt-in: `-- --explicit only`): it measures, it does not judge, so it is no regular test.
/// </summary>
[Collection("Live")]
public sealed class ForwardProfileTests(ITestOutputHelper output)
{
    [Fact(Explicit = true)] // a profiling tool, not a check: dotnet test --project tests/MediaSdk.Model.Tests -- --explicit only
    public void Profile_DefaultWindow_ReferenceVsOptimised()
    {
        int reps = int.TryParse(Environment.GetEnvironmentVariable("MSDK_PROFILE_REPS"), out int r) ? r : 60;
        using BtokEncoder encoder = BtokEncoder.CreateRandom(BtokConfig.Default, 1, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2 });
        var reference = new ReferenceForward(encoder.Network);
        PooledFrame[] frames = Frames(8, 112, seed: 31);
        try
        {
            int layers = encoder.Config.Layers;
            string[] names = ["pixels+patch", .. Enumerable.Range(0, layers).SelectMany(i => new[] { $"L{i} attn", $"L{i} mlp" }), "norm+readout"];
            var refStages = new List<double>[names.Length];
            var newStages = new List<double>[names.Length];
            for (int i = 0; i < names.Length; i++) { refStages[i] = []; newStages[i] = []; }
            var refWhole = new List<double>();
            var newWhole = new List<double>();
            var e = new float[encoder.Dimension];
            for (int rep = -5; rep < reps; rep++)
            {
                bool keep = rep >= 0;
                // Alternate which side goes first so drift and cache warmth do not favour one.
                for (int side = 0; side < 2; side++)
                {
                    bool refSide = (side == 0) == (rep % 2 == 0);
                    long t0 = Stopwatch.GetTimestamp();
                    if (refSide) RunReference(reference, frames, encoder, keep ? refStages : null);
                    else encoder.EncodeFrames(frames, e);
                    double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    if (keep) (refSide ? refWhole : newWhole).Add(ms);
                }
                // Staged run of the optimised path (separate from the whole-call timing: staging adds a sync per stage).
                if (keep) RunOptimisedStaged(encoder, frames, newStages);
            }
            var sb = new StringBuilder();
            sb.AppendLine(CultureInfo.InvariantCulture, $"{reps} reps, load {File.ReadAllText("/proc/loadavg").Trim()}");
            sb.AppendLine("stage            ref ms   new ms   new/ref");
            for (int i = 0; i < names.Length; i++)
            {
                double a = Median(refStages[i]), b = Median(newStages[i]);
                sb.AppendLine(CultureInfo.InvariantCulture, $"{names[i],-14} {a,8:F3} {b,8:F3}   {b / a,6:F3}");
            }
            double wa = Median(refWhole), wb = Median(newWhole);
            sb.AppendLine(CultureInfo.InvariantCulture, $"whole window (EncodeFrames vs reference): ref {wa:F2} ms, new {wb:F2} ms, new/ref {wb / wa:F3} (min {refWhole.Min():F2} vs {newWhole.Min():F2})");
            output.WriteLine(sb.ToString());
            File.WriteAllText(Path.Combine(Path.GetTempPath(), "msdk-profile.txt"), sb.ToString());
        }
        finally
        {
            DisposeAll(frames);
        }
    }

    [Fact(Explicit = true)] // a profiling tool, not a check: dotnet test --project tests/MediaSdk.Model.Tests -- --explicit only
    public void Profile_Ops_DefaultShapes()
    {
        torch.set_num_threads(2);
        using DisposeScope outer = NewDisposeScope();
        using IDisposable mode = inference_mode();
        const long T = 396, D = 256, H = 4, Hd = 64, F = 704;
        Tensor x = randn(1, T, D);
        Tensor w = randn(D, D) * 0.02, b = zeros(D), w3 = randn(3 * D, D) * 0.02, b3 = zeros(3 * D);
        Tensor wf = randn(F, D) * 0.02, wf2 = randn(2 * F, D) * 0.02, wd = randn(D, F) * 0.02;
        Tensor q = randn(1, H, T, Hd), k = randn(1, H, T, Hd), v = randn(1, H, T, Hd);
        Tensor qT = randn(1, T, H, Hd).transpose(1, 2), kT = randn(1, T, H, Hd).transpose(1, 2), vT = randn(1, T, H, Hd).transpose(1, 2);
        Tensor cos = randn(1, 1, T, Hd), sin = randn(1, 1, T, Hd);
        Tensor mask = ones(T, T, dtype: ScalarType.Bool).tril().unsqueeze(0).unsqueeze(0);
        Tensor g = randn(1, T, F), u = randn(1, T, F);
        Tensor randnQk = randn(1, T, 2 * H, Hd), cos2 = randn(T, 1, Hd), sinh = randn(T, 1, Hd / 2);
        var ops = new (string Name, Func<Tensor> Op)[]
        {
            ("linear 256x256+b", () => nn.functional.linear(x, w, b)),
            ("linear 256x768+b", () => nn.functional.linear(x, w3, b3)),
            ("linear 256->704", () => nn.functional.linear(x, wf)),
            ("linear 256->1408", () => nn.functional.linear(x, wf2)),
            ("linear 704->256", () => nn.functional.linear(g, wd)),
            ("rope ref (one of q/k)", () => { Tensor[] hs = q.chunk(2, -1); return q * cos + cat([-hs[1], hs[0]], -1) * sin; }),
            ("sdpa causal contig", () => nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)),
            ("sdpa causal strided", () => nn.functional.scaled_dot_product_attention(qT, kT, vT, is_casual: true)),
            ("sdpa bool mask", () => nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask)),
            ("sdpa full (no causal)", () => nn.functional.scaled_dot_product_attention(q, k, v)),
            ("rope addcmul qk", () =>
            {
                Tensor qk = randnQk;
                Tensor o = qk * cos2;
                o.narrow(-1, 0, Hd / 2).addcmul_(qk.narrow(-1, Hd / 2, Hd / 2), sinh, -1);
                o.narrow(-1, Hd / 2, Hd / 2).addcmul_(qk.narrow(-1, 0, Hd / 2), sinh, 1);
                return o;
            }),
            ("rmsnorm inplace", () => (x * x.square().mean([-1L], keepdim: true).add_(1e-6).rsqrt_()).mul_(b)),
            ("silu_*up", () => nn.functional.silu(g, inplace: true).mul_(u)),
            ("silu*up", () => nn.functional.silu(g) * u),
            ("rmsnorm ref", () => x * rsqrt(x.pow(2).mean([-1L], keepdim: true) + 1e-6)),
            ("add [T,D]", () => x + x),
            ("transpose+reshape o", () => q.transpose(1, 2).reshape(1, T, -1)),
        };
        var times = ops.Select(_ => new List<double>()).ToArray();
        for (int rep = -3; rep < 200; rep++)
        {
            for (int i = 0; i < ops.Length; i++)
            {
                using DisposeScope s = NewDisposeScope();
                long t0 = Stopwatch.GetTimestamp();
                ops[i].Op();
                if (rep >= 0) times[i].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        }
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"load {File.ReadAllText("/proc/loadavg").Trim()}");
        for (int i = 0; i < ops.Length; i++) sb.AppendLine(CultureInfo.InvariantCulture, $"{ops[i].Name,-24} median {Median(times[i]),7:F3} ms  min {times[i].Min(),7:F3}");
        output.WriteLine(sb.ToString());
    }

    private static void RunReference(ReferenceForward reference, PooledFrame[] frames, BtokEncoder encoder, List<double>[]? stages)
    {
        using DisposeScope scope = NewDisposeScope();
        using IDisposable mode = inference_mode();
        int s = 0;
        long t = Stopwatch.GetTimestamp();
        void Mark()
        {
            if (stages is not null) stages[s].Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            s++;
            t = Stopwatch.GetTimestamp();
        }
        Tensor tokens = reference.PatchEmbed(ReferenceForward.Pixels(frames)).unsqueeze(0);
        long realEnd = tokens.shape[1];
        Tensor x = reference.AppendBtoks(tokens, encoder.Pooling);
        (Tensor cos, Tensor sin) = reference.Tables(x.shape[1], x.dtype);
        Mark();
        for (int i = 0; i < encoder.Config.Layers; i++)
        {
            x = reference.AttentionBlock(x, i, cos, sin);
            Mark();
            x = reference.MlpBlock(x, i);
            Mark();
        }
        Tensor result = reference.Readout(x, realEnd, encoder.Pooling);
        _ = ReferenceForward.ToArray(result);
        Mark();
    }

    private static void RunOptimisedStaged(BtokEncoder encoder, PooledFrame[] frames, List<double>[] stages)
    {
        using DisposeScope scope = NewDisposeScope();
        using IDisposable mode = inference_mode();
        encoder.Network.ProfileWindow(ReferenceForward.Pixels(frames), encoder.Pooling, stages);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}
