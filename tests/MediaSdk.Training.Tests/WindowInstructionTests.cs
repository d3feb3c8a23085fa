using MediaSdk.Model;
using MediaSdk.Model.Nn;
using MediaSdk.Training.Data;
using static TorchSharp.torch;

namespace MediaSdk.Training.Tests;

/// <summary>
/// <see cref="EncoderOptions.WindowInstruction"/> (tag --instruction) must embed a window exactly as the trainer and
/// the evaluator embed a video query with that instruction: frames, then the instruction's tokens.
/// </summary>
public sealed class WindowInstructionTests
{
    private const int Size = 32, Frames = 2;
    private const string Instruction = "What is the main object doing?";

    private static readonly BtokConfig Small = SmallModels.Gpt2Vocabulary with { ModelId = "instruction-test", ImageSize = Size, MaxFrames = Frames };

    [Fact]
    public void EncodeFrames_WithInstruction_EqualsTheTrainingPathsVideoPlusInstructionQuery()
    {
        var options = new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2 };
        using var plain = BtokEncoder.CreateRandom(Small, seed: 4, options);
        using var instructed = BtokEncoder.CreateRandom(Small, seed: 4, options with { WindowInstruction = Instruction });
        float[] pixels = new float[Frames * 3 * Size * Size];
        var random = new Random(2);
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)(random.NextDouble() * 2 - 1);
        PooledFrame[] window = new PooledFrame[Frames];
        int frame = 3 * Size * Size;
        for (int i = 0; i < Frames; i++)
        {
            window[i] = PooledFrame.Rent(Size, i * 0.25, 0);
            pixels.AsSpan(i * frame, frame).CopyTo(window[i].Pixels);
        }
        try
        {
            float[] withInstruction = new float[instructed.Dimension], framesOnly = new float[plain.Dimension];
            instructed.EncodeFrames(window, withInstruction);
            plain.EncodeFrames(window, framesOnly);

            var computer = new StepComputer(instructed.Network, 1.0, GicForm.Kv, TargetAttention.Condensation, null, ScalarType.Float32, CPU);
            var query = new SideInput { Pixels = pixels, Frames = Frames, TextIds = Gpt2Text.Encode(Instruction, Small.MaxTextTokens) };
            float[] trainingPath;
            using (NewDisposeScope())
            using (inference_mode())
                trainingPath = computer.Embed([query], 0, 1).data<float>().ToArray();

            for (int i = 0; i < trainingPath.Length; i++) Assert.Equal(trainingPath[i], withInstruction[i], 1e-5f);
            Assert.True(Cosine(withInstruction, framesOnly) < 0.999, "the instruction must change the window embedding");
        }
        finally
        {
            foreach (PooledFrame f in window) f.Dispose();
        }
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }
}
