using MediaSdk.Contracts;
using MediaSdk.Model.Checkpoints;
using MediaSdk.Model.Nn;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace MediaSdk.Model;

/// <summary>
/// The BTok encoder on TorchSharp: embeds a window's frames or a text into one L2-normalised vector of
/// <see cref="Dimension"/> floats, read from K bottleneck tokens appended after the input (METHOD.md).
/// </summary>
/// <remarks>
/// Not thread-safe: one caller at a time (the pipeline's encoder loop). Every call runs in its own TorchSharp dispose
/// scope under inference mode and copies the result into the caller's span, so no tensors outlive a call. The thread
/// cap (<see cref="EncoderOptions.Threads"/>) is process-wide in libtorch. Dispose releases the weights.
/// </remarks>
public sealed class BtokEncoder : IClipEncoder, IWindowExplainer
{
    /// <summary>Default number of tokens read-back decodes (a short caption).</summary>
    public const int DefaultExplainTokens = 24;

    /// <summary>Most tokens one read-back call may decode (each token reruns the target pass).</summary>
    public const int MaxExplainTokens = 256;

    private static readonly long[] s_noPadding = [0];
    private readonly BtokModel _model;
    private readonly Device _device;
    private readonly ScalarType _dtype;
    private readonly BtokPooling _pooling;
    private int _disposed;

    /// <summary>Token ids of <see cref="EncoderOptions.WindowInstruction"/>, appended to every window; null when none.</summary>
    private readonly long[]? _instructionIds;

    private BtokEncoder(BtokModel model, EncoderOptions options, ILoggerFactory? loggerFactory)
    {
        // Resolve the device before moving anything, so a missing GPU fails cleanly with the weights still on the CPU.
        _device = ResolveDevice(options.Device);
        _dtype = options.DType == EncoderDType.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        _model = model;
        _model.eval();
        if (_device.type != DeviceType.CPU || _dtype != ScalarType.Float32) _model.to(_device, _dtype);
        _pooling = model.Config.EffectivePooling(options.Pooling);
        if (!string.IsNullOrEmpty(options.WindowInstruction))
            _instructionIds = [.. Gpt2Text.Encode(options.WindowInstruction, model.Config.MaxTextTokens).Select(id => (long)id)];
        Config = model.Config;
        Model = new ModelStamp(Config.ModelId, Config.Version);
        Preprocess = new PreprocessOptions { Size = Config.ImageSize };
        DeviceName = _device.type == DeviceType.CPU ? "cpu" : $"cuda:{Math.Max(_device.index, 0)}";
        DTypeName = _dtype == ScalarType.BFloat16 ? "bfloat16" : "float32";
        Threads = options.EffectiveThreads;
        set_num_threads(Threads);

        ILogger logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<BtokEncoder>();
        Log.EncoderReady(logger, Config.ModelId, Config.Version, DeviceName, DTypeName, Threads);
    }

    /// <summary>The architecture and identity of the loaded model.</summary>
    public BtokConfig Config { get; }

    /// <inheritdoc />
    public ModelStamp Model { get; }

    /// <inheritdoc />
    public int Dimension => Config.DModel;

    /// <inheritdoc />
    public PreprocessOptions Preprocess { get; }

    /// <inheritdoc />
    public int MaxFramesPerWindow => Config.MaxFrames;

    /// <summary>Where the encoder runs: "cpu" or "cuda:N".</summary>
    public string DeviceName { get; }

    /// <summary>Numeric type of the weights: "float32" or "bfloat16".</summary>
    public string DTypeName { get; }

    /// <summary>The libtorch intra-op thread count applied at load (process-wide).</summary>
    public int Threads { get; }

    /// <summary>The readout in use (the option's override, else the config's; K = 0 reads the last token).</summary>
    public BtokPooling Pooling => _pooling;

    /// <summary>The network, for the trainer (same assembly family); not part of the public surface.</summary>
    internal BtokModel Network => _model;

    /// <summary>The torch device the network lives on.</summary>
    internal Device TorchDevice => _device;

    /// <summary>Loads a checkpoint directory (config.json + model.safetensors).</summary>
    /// <param name="modelDirectory">The checkpoint folder.</param>
    /// <param name="options">Device, threads, dtype and pooling; null for <see cref="EncoderOptions.Default"/>.</param>
    /// <param name="loggerFactory">Receives one Information line naming device, dtype, threads and model; null logs nothing.</param>
    /// <returns>An encoder the caller owns and must dispose.</returns>
    /// <exception cref="ModelLoadException">The folder, config or weights are missing, garbled or do not match.</exception>
    /// <exception cref="DeviceUnavailableException">CUDA was requested but this build or machine has none.</exception>
    public static BtokEncoder Load(string modelDirectory, EncoderOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        options ??= EncoderOptions.Default;
        ResolveDevice(options.Device); // fail fast, before reading hundreds of MB
        BtokConfig config = ReadConfig(modelDirectory);
        return LoadWith(modelDirectory, config, options, loggerFactory);
    }

    /// <summary>
    /// Reads and validates a checkpoint's config and checks that its weights file exists, without loading weights or
    /// touching libtorch (milliseconds). Lets a host learn the model's shape before the weights are in memory.
    /// </summary>
    /// <exception cref="ModelLoadException">The folder, config or weights file is missing, or the config is invalid.</exception>
    public static BtokConfig ReadConfig(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        BtokConfig config = Checkpoint.ReadConfig(modelDirectory);
        string weights = Path.Combine(modelDirectory, Checkpoint.WeightsFileName);
        if (!File.Exists(weights))
            throw new ModelLoadException($"Model weights '{weights}' are missing; the model folder needs {Checkpoint.ConfigFileName} and {Checkpoint.WeightsFileName} (save one with BtokEncoder.Save).");
        return config;
    }

    private static BtokEncoder LoadWith(string modelDirectory, BtokConfig config, EncoderOptions options, ILoggerFactory? loggerFactory)
    {
        BtokModel model = new(config);
        try
        {
            Checkpoint.LoadWeights(model, modelDirectory);
            return new BtokEncoder(model, options, loggerFactory);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates an untrained encoder with seeded weights: the same config and seed give bit-identical weights
    /// (normal(0, 0.02) matrices, embeddings, BToks and temporal rows; zero biases; unit norm weights).
    /// </summary>
    /// <param name="config">The architecture; validated here.</param>
    /// <param name="seed">Seed of the private generator used for every weight (the global torch RNG is not reseeded).</param>
    /// <param name="options">Device, threads, dtype and pooling; null for <see cref="EncoderOptions.Default"/>.</param>
    /// <param name="loggerFactory">Receives one Information line at creation; null logs nothing.</param>
    /// <returns>An encoder the caller owns and must dispose.</returns>
    /// <exception cref="ArgumentException">A config value is invalid; the message names it.</exception>
    /// <exception cref="DeviceUnavailableException">CUDA was requested but this build or machine has none.</exception>
    public static BtokEncoder CreateRandom(BtokConfig config, int seed, EncoderOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        options ??= EncoderOptions.Default;
        ResolveDevice(options.Device);
        BtokModel model = new(config);
        try
        {
            InitialiseWeights(model, seed);
            return new BtokEncoder(model, options, loggerFactory);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the checkpoint (config.json + model.safetensors) into <paramref name="modelDirectory"/>, creating it if
    /// needed. Each file is written to a temp file and renamed over the old one.
    /// </summary>
    /// <param name="modelDirectory">The checkpoint folder.</param>
    /// <param name="halfPrecision">Store float16 weights (half the size, e.g. to ship a model); default float32.</param>
    public void Save(string modelDirectory, bool halfPrecision = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        ThrowIfDisposed();
        Checkpoint.Save(_model, modelDirectory, halfPrecision);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">No frames, more than <see cref="BtokConfig.MaxFrames"/>, a frame of the wrong size, or a span of the wrong length.</exception>
    public void EncodeFrames(ReadOnlySpan<PooledFrame> frames, Span<float> embedding)
    {
        ThrowIfDisposed();
        CheckFrames(frames);
        CheckDestination(embedding, 1);

        using DisposeScope scope = NewDisposeScope();
        using IDisposable mode = inference_mode();
        CopyOut(_model.Embed(FrameTokens(frames), s_noPadding, _pooling), embedding);
    }

    /// <summary>
    /// Read-back (METHOD.md §5): decodes greedily, from &lt;|endoftext|&gt; to &lt;|endoftext|&gt;, the text the window's
    /// K bottleneck tokens hold (the last frame token when K = 0). Meaningful only for a GIC-trained model.
    /// </summary>
    /// <param name="frames">The window's frames, as for <see cref="EncodeFrames"/>.</param>
    /// <param name="maxTokens">Most tokens to decode, 1 to <see cref="MaxExplainTokens"/>.</param>
    /// <returns>The decoded text, trimmed; empty when the model ends at once.</returns>
    /// <exception cref="ArgumentException">The frames are invalid as for <see cref="EncodeFrames"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is out of range.</exception>
    public string ExplainFrames(ReadOnlySpan<PooledFrame> frames, int maxTokens = DefaultExplainTokens)
    {
        ThrowIfDisposed();
        CheckFrames(frames);
        CheckMaxTokens(maxTokens);

        using DisposeScope scope = NewDisposeScope();
        using IDisposable mode = inference_mode();
        (_, KvCache cache) = _model.EncodeWithCache(FrameTokens(frames), s_noPadding, ReadBackSlots);
        return ReadBack(cache, maxTokens);
    }

    /// <summary>
    /// <see cref="EncodeFrames"/> and <see cref="ExplainFrames"/> from one forward pass: the embedding and the cached
    /// keys/values come from the same run, so explaining costs one encoder pass plus the decoding.
    /// </summary>
    /// <param name="frames">The window's frames, as for <see cref="EncodeFrames"/>.</param>
    /// <param name="embedding">Receives <see cref="Dimension"/> floats, the embedding <see cref="EncodeFrames"/> gives.</param>
    /// <param name="maxTokens">Most tokens to decode, 1 to <see cref="MaxExplainTokens"/>.</param>
    /// <returns>The decoded text, trimmed.</returns>
    /// <exception cref="ArgumentException">The frames or the span are invalid as for <see cref="EncodeFrames"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is out of range.</exception>
    public string EncodeAndExplainFrames(ReadOnlySpan<PooledFrame> frames, Span<float> embedding, int maxTokens = DefaultExplainTokens)
    {
        ThrowIfDisposed();
        CheckFrames(frames);
        CheckDestination(embedding, 1);
        CheckMaxTokens(maxTokens);

        using DisposeScope scope = NewDisposeScope();
        using IDisposable mode = inference_mode();
        Tensor tokens = FrameTokens(frames);
        (Tensor hidden, KvCache cache) = _model.EncodeWithCache(tokens, s_noPadding, ReadBackSlots);
        CopyOut(BtokModel.Readout(hidden, tokens.shape[1], s_noPadding, _pooling), embedding);
        return ReadBack(cache, maxTokens);
    }

    /// <inheritdoc />
    string IWindowExplainer.EncodeAndExplain(ReadOnlySpan<PooledFrame> frames, Span<float> embedding) =>
        EncodeAndExplainFrames(frames, embedding);

    /// <summary>Read-back of a text's bottleneck tokens (see <see cref="ExplainFrames"/>); a GIC-trained model paraphrases it.</summary>
    /// <param name="text">The text, truncated to <see cref="BtokConfig.MaxTextTokens"/> tokens as in <see cref="EncodeText"/>.</param>
    /// <param name="maxTokens">Most tokens to decode, 1 to <see cref="MaxExplainTokens"/>.</param>
    /// <returns>The decoded text, trimmed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is out of range.</exception>
    public string ExplainText(string text, int maxTokens = DefaultExplainTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        ThrowIfDisposed();
        CheckMaxTokens(maxTokens);
        int[] ids = Gpt2Text.Encode(text, Config.MaxTextTokens);

        using DisposeScope scope = NewDisposeScope();
        using IDisposable mode = inference_mode();
        Tensor tokens = _model.EmbedTokens(tensor(ids, dtype: ScalarType.Int64).to(_device).unsqueeze(0));
        (_, KvCache cache) = _model.EncodeWithCache(tokens, s_noPadding, ReadBackSlots);
        return ReadBack(cache, maxTokens);
    }

    /// <inheritdoc />
    public void EncodeText(string text, Span<float> embedding)
    {
        ArgumentNullException.ThrowIfNull(text);
        EncodeTexts([text], embedding);
    }

    /// <summary>
    /// Encodes several texts in one batch (left-padded, BToks right after each text's last token) into
    /// <paramref name="embeddings"/>, row i at [i * Dimension, (i + 1) * Dimension). Each row equals the text encoded alone.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty or the span is not texts.Count * Dimension long.</exception>
    public void EncodeTexts(IReadOnlyList<string> texts, Span<float> embeddings)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ThrowIfDisposed();
        int n = texts.Count;
        if (n == 0) throw new ArgumentException("No texts given; pass at least one.", nameof(texts));
        CheckDestination(embeddings, n);

        var ids = new int[n][];
        int longest = 0;
        for (int i = 0; i < n; i++)
        {
            ids[i] = Gpt2Text.Encode(texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(texts)), Config.MaxTextTokens);
            longest = Math.Max(longest, ids[i].Length);
        }
        var flat = new long[n * longest];
        var pads = new long[n];
        for (int i = 0; i < n; i++)
        {
            int pad = longest - ids[i].Length;
            pads[i] = pad;
            for (int j = 0; j < ids[i].Length; j++) flat[i * longest + pad + j] = ids[i][j];
        }

        using DisposeScope scope = NewDisposeScope();
        using IDisposable mode = inference_mode();
        Tensor idTensor = tensor(flat, [n, longest], dtype: ScalarType.Int64).to(_device);
        CopyOut(_model.Embed(_model.EmbedTokens(idTensor), pads, _pooling), embeddings);
    }

    /// <summary>Releases the weights. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _model.Dispose();
    }

    /// <summary>Maps the option to a torch device, or explains which build is needed for CUDA.</summary>
    /// <remarks>Every public entry point calls this first, so it also sets up the native runtime before libtorch loads.</remarks>
    internal static Device ResolveDevice(EncoderDevice device)
    {
        NativeRuntime.ConfigureBeforeFirstTorchCall();
        return ResolveLoadedDevice(device);
    }

    private static Device ResolveLoadedDevice(EncoderDevice device) => device switch
    {
        EncoderDevice.Cpu => CPU,
        EncoderDevice.Auto => cuda.is_available() ? CUDA : CPU,
        EncoderDevice.Cuda when cuda.is_available() => CUDA,
        EncoderDevice.Cuda => throw new DeviceUnavailableException(
            "CUDA was requested but libtorch reports no usable GPU in this build; build with -p:MediaSdkTorchBackend=cuda-windows " +
            "(TorchSharp-cuda-windows) or reference a CUDA libtorch package (libtorch-cuda-*), install the NVIDIA driver, or use device cpu/auto."),
        _ => throw new ArgumentOutOfRangeException(nameof(device), device, "Unknown device; use Auto, Cpu or Cuda."),
    };

    /// <summary>The seeded initialisation of <see cref="CreateRandom"/> (the trainer's from-scratch start).</summary>
    internal static void InitialiseWeights(BtokModel model, int seed)
    {
        // A private generator keeps the weights a pure function of (config, seed), whatever else used the global RNG.
        // Tensor.normal_ is used because nn.init.normal_ ignores its generator argument in TorchSharp 0.107.
        using var generator = new Generator((ulong)(uint)seed);
        using IDisposable noGrad = no_grad();
        // The BToks are drawn last, so models that differ only in K share every other weight for one seed (ablations).
        TorchSharp.Modules.Parameter? btoks = null;
        foreach ((string name, TorchSharp.Modules.Parameter p) in model.named_parameters())
        {
            if (name == BtokModel.BtoksName) btoks = p;
            else if (name.EndsWith("norm.weight", StringComparison.Ordinal)) nn.init.ones_(p);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) nn.init.zeros_(p);
            // Convolutions feeding GELU keep their activations' scale only with a fan-in (He) init.
            else if (name.StartsWith(PatchEmbed.StemPrefix, StringComparison.Ordinal)) p.normal_(0.0, Math.Sqrt(2.0 / p.shape[1]), generator);
            else p.normal_(0.0, 0.02, generator);
        }
        btoks?.normal_(0.0, 0.02, generator);
    }

    /// <summary>Read-back reads the K BToks, or the last input token when the model has none (K = 0).</summary>
    private CacheSlots ReadBackSlots => Config.BottleneckTokens > 0 ? CacheSlots.Btoks : CacheSlots.LastToken;

    /// <summary>Read-back of inputs that are already embedded, [1, T, D] without padding (the evaluator's path).</summary>
    internal string ExplainInputs(Tensor inputs, int maxTokens = DefaultExplainTokens)
    {
        ThrowIfDisposed();
        CheckMaxTokens(maxTokens);
        using DisposeScope scope = NewDisposeScope();
        using IDisposable mode = inference_mode();
        (_, KvCache cache) = _model.EncodeWithCache(inputs, s_noPadding, ReadBackSlots);
        return ReadBack(cache, maxTokens);
    }

    private string ReadBack(KvCache cache, int maxTokens)
    {
        int end = Gpt2Text.EndOfText;
        // Training targets are [p, t_1..t_M, e] with p = e = <|endoftext|>, so decoding starts and stops there.
        int[] ids = _model.GreedyDecode(cache, end, end, maxTokens);
        return Gpt2Text.Decode(ids).Trim();
    }

    private static void CheckMaxTokens(int maxTokens)
    {
        if (maxTokens < 1 || maxTokens > MaxExplainTokens)
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, $"maxTokens is {maxTokens}; read-back decodes 1 to {MaxExplainTokens} tokens.");
    }

    private void CheckFrames(ReadOnlySpan<PooledFrame> frames)
    {
        int count = frames.Length;
        if (count == 0 || count > Config.MaxFrames)
            throw new ArgumentException($"A window has {count} frames but the model takes 1 to {Config.MaxFrames}; set WindowOptions.FramesPerWindow within that range.", nameof(frames));
        int size = Config.ImageSize;
        for (int i = 0; i < count; i++)
        {
            if (frames[i].Size != size)
                throw new ArgumentException($"Frame {i} is {frames[i].Size} px but the model takes {size} px; preprocess with the encoder's Preprocess options.", nameof(frames));
        }
    }

    /// <summary>The input tokens [1, T, D] of checked frames (call inside a dispose scope).</summary>
    private Tensor FrameTokens(ReadOnlySpan<PooledFrame> frames)
    {
        int count = frames.Length, size = Config.ImageSize;
        Tensor pixels = empty(count, 3, size, size, dtype: ScalarType.Float32);
        using (var access = pixels.data<float>())
        {
            long offset = 0;
            for (int i = 0; i < count; i++)
            {
                Span<float> source = frames[i].Pixels;
                access.CopyFrom(source, 0, offset);
                offset += source.Length;
            }
        }
        Tensor vision = _model.EmbedFrames(pixels.to(_dtype, _device)).unsqueeze(0);
        if (_instructionIds is null) return vision;
        // The training layout of a query with an instruction: vision tokens, then the instruction's text tokens.
        Tensor instruction = _model.EmbedTokens(tensor(_instructionIds, device: _device)).to_type(_dtype).unsqueeze(0);
        return cat([vision, instruction], 1);
    }

    private void CheckDestination(Span<float> destination, int rows)
    {
        if (destination.Length != rows * Dimension)
            throw new ArgumentException($"The embedding span holds {destination.Length} floats but {rows} embedding(s) of {Dimension} need {rows * Dimension}; size it from Dimension.", nameof(destination));
    }

    private static void CopyOut(Tensor result, Span<float> destination)
    {
        Tensor host = result.to(ScalarType.Float32, CPU).contiguous();
        using var access = host.data<float>();
        access.CopyTo(destination);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
