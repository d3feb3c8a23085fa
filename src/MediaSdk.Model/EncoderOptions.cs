namespace MediaSdk.Model;

/// <summary>Where the encoder runs.</summary>
public enum EncoderDevice
{
    /// <summary>CUDA when libtorch reports a usable GPU, else the CPU.</summary>
    Auto,
    /// <summary>The CPU.</summary>
    Cpu,
    /// <summary>The first CUDA GPU; fails with <see cref="DeviceUnavailableException"/> when there is none.</summary>
    Cuda,
}

/// <summary>Numeric type of the weights and activations.</summary>
public enum EncoderDType
{
    /// <summary>32-bit float: the reference.</summary>
    Float32,
    /// <summary>bfloat16: about 1.8x faster on CPUs with avx512_bf16, cosine >= 0.99 to Float32. Norms and readout stay in float32.</summary>
    BFloat16,
}

/// <summary>How a <see cref="BtokEncoder"/> runs: device, threads, dtype and a pooling override.</summary>
public sealed record EncoderOptions
{
    private readonly int? _threads;

    /// <summary>The defaults: Auto device, min(cores, 4) threads, Float32, the checkpoint's pooling.</summary>
    public static EncoderOptions Default { get; } = new();

    /// <summary>Device. Default <see cref="EncoderDevice.Auto"/>.</summary>
    public EncoderDevice Device { get; init; } = EncoderDevice.Auto;

    /// <summary>
    /// libtorch intra-op threads; null means min(processor count, 4), which leaves cores for decoding on small machines.
    /// Applied with torch.set_num_threads, which is process-wide: the last encoder loaded sets it for all.
    /// </summary>
    public int? Threads
    {
        get => _threads;
        init
        {
            if (value is { } v)
            {
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(v, nameof(Threads));
                ArgumentOutOfRangeException.ThrowIfGreaterThan(v, 1024, nameof(Threads));
            }
            _threads = value;
        }
    }

    /// <summary>Numeric type. Default <see cref="EncoderDType.Float32"/>.</summary>
    public EncoderDType DType { get; init; } = EncoderDType.Float32;

    /// <summary>Readout override; null uses the checkpoint's <see cref="BtokConfig.Pooling"/>.</summary>
    public BtokPooling? Pooling { get; init; }

    /// <summary>
    /// Text placed after every window's frames, as the instruction of a training query (e.g. "What is the main object
    /// doing?"); null or empty: frames only. The window embeddings then answer that instruction (compare them with
    /// answer-like labels) and read-back decodes an answer instead of a caption. Truncated to
    /// <see cref="BtokConfig.MaxTextTokens"/> tokens.
    /// </summary>
    public string? WindowInstruction { get; init; }

    /// <summary>The thread count to apply: <see cref="Threads"/> or min(cores, 4).</summary>
    internal int EffectiveThreads => Threads ?? Math.Min(Environment.ProcessorCount, 4);
}
