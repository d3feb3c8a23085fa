using System.Diagnostics;
using MediaSdk.Model;
using MediaSdk.Model.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace MediaSdk.Training.Tests;

/// <summary>
/// Read-back end to end (METHOD.md §5): a small model trained only on the KV-form next-token loss, for two still
/// windows with different captions, decodes each window's own caption from its BTok cache through the public
/// <see cref="BtokEncoder.ExplainFrames"/>.
/// </summary>
public sealed class ReadBackTests
{
    private const int Size = 32, Frames = 2, MaxSteps = 150, CheckEvery = 10;

    private static readonly BtokConfig Small = SmallModels.Gpt2Vocabulary with { ModelId = "readback-test", ImageSize = Size, MaxFrames = Frames };

    private static readonly string[] Captions = ["a red square moves left", "a blue circle grows"];

    [Fact]
    public void ExplainFrames_AfterKvFormNtpTraining_EachWindowReadsBackItsOwnCaption()
    {
        using var encoder = BtokEncoder.CreateRandom(Small, seed: 11, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2 });
        BtokModel model = encoder.Network;
        // Two still windows of constant colour (normalised RGB in [-1, 1]): red and blue.
        float[][] pixels = [Window(1f, -1f, -1f), Window(-1f, -1f, 1f)];
        PooledFrame[][] windows = [.. pixels.Select(Rent)];
        try
        {
            string[] before = [.. windows.Select(w => encoder.ExplainFrames(w))];
            Assert.DoesNotContain(before, text => Captions.Contains(text));

            int eot = Gpt2Text.EndOfText;
            long[][] targets = [.. Captions.Select(c => Gpt2Text.Encode(c, 32).Prepend(eot).Select(id => (long)id).ToArray())];
            using var optimizer = optim.AdamW(model.parameters(), lr: 3e-3);
            var clock = Stopwatch.StartNew();
            string[] decoded = before;
            int steps = 0;
            while (steps < MaxSteps && !decoded.SequenceEqual(Captions))
            {
                for (int i = 0; i < CheckEvery; i++, steps++) Step(model, optimizer, pixels, targets);
                decoded = [.. windows.Select(w => encoder.ExplainFrames(w))];
            }

            // Each window's own caption, exactly: window A's BToks give A's text and not B's, so the text comes from
            // what the BToks hold (the target pass sees nothing else of the input).
            Assert.True(decoded.SequenceEqual(Captions),
                $"after {steps} steps ({clock.Elapsed.TotalSeconds:F1} s) read-back gave [{string.Join(" | ", decoded)}], expected [{string.Join(" | ", Captions)}]");
            TestContext.Current.TestOutputHelper?.WriteLine($"read-back exact after {steps} steps, {clock.Elapsed.TotalSeconds:F1} s");
            Assert.NotEqual(Captions[1], decoded[0]);
            Assert.NotEqual(Captions[0], decoded[1]);

            // The pipeline's one-pass form decodes the same text and the same embedding as EncodeFrames.
            var embedding = new float[encoder.Dimension];
            var reference = new float[encoder.Dimension];
            for (int i = 0; i < windows.Length; i++)
            {
                Assert.Equal(Captions[i], encoder.EncodeAndExplainFrames(windows[i], embedding));
                encoder.EncodeFrames(windows[i], reference);
                for (int j = 0; j < reference.Length; j++) Assert.Equal(reference[j], embedding[j], 1e-5f);
            }
        }
        finally
        {
            foreach (PooledFrame[] w in windows)
                foreach (PooledFrame f in w) f.Dispose();
        }
    }

    /// <summary>One AdamW step on the summed KV-form next-token loss of both windows (targets [eot, caption, eot]).</summary>
    private static void Step(BtokModel model, optim.Optimizer optimizer, float[][] pixels, long[][] targets)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        Tensor? loss = null;
        for (int i = 0; i < pixels.Length; i++)
        {
            Tensor tokens = model.EmbedFrames(tensor(pixels[i], [Frames, 3, Size, Size])).unsqueeze(0);
            KvCache cache = GenerativeForward.EncodeBtoks(model, tokens);
            Tensor ids = tensor(targets[i], [1, targets[i].Length]);
            Tensor l = GenerativeForward.NtpLoss(GenerativeForward.KvFormLogits(model, cache, ids), ids);
            loss = loss is null ? l : loss + l;
        }
        loss!.backward();
        optimizer.step();
    }

    /// <summary>CHW pixels of <see cref="Frames"/> identical frames of one colour.</summary>
    private static float[] Window(float r, float g, float b)
    {
        int plane = Size * Size;
        var data = new float[Frames * 3 * plane];
        for (int f = 0; f < Frames; f++)
        {
            data.AsSpan((f * 3 + 0) * plane, plane).Fill(r);
            data.AsSpan((f * 3 + 1) * plane, plane).Fill(g);
            data.AsSpan((f * 3 + 2) * plane, plane).Fill(b);
        }
        return data;
    }

    private static PooledFrame[] Rent(float[] pixels)
    {
        int frame = 3 * Size * Size;
        var frames = new PooledFrame[Frames];
        for (int i = 0; i < Frames; i++)
        {
            frames[i] = PooledFrame.Rent(Size, i * 0.25, 0);
            pixels.AsSpan(i * frame, frame).CopyTo(frames[i].Pixels);
        }
        return frames;
    }
}
