using MediaSdk.Contracts;
using MediaSdk.Gpu;
using MediaSdk.Media;
using MediaSdk.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MediaSdk;

/// <summary>
/// Wires the adapters (ffmpeg sources, CPU preprocessing, the TorchSharp BTok encoder) into a <see cref="MediaSession"/>
/// with sensible defaults. The one type most .NET hosts need.
/// </summary>
/// <example>
/// <code>
/// await using MediaSession session = new MediaSdkBuilder().UseModel("models/btok-tiny").Build();
/// session.AddSource("clip.mp4", StreamOptions.Default with { Labels = ["a dog", "a car"] });
/// session.CompleteAdding();
/// await foreach (MediaEvent e in session.ReadEventsAsync()) Console.WriteLine(e);
/// </code>
/// </example>
public sealed class MediaSdkBuilder
{
    private string? _modelDirectory;
    private int? _randomSeed;
    private IClipEncoder? _encoder;
    private EncoderOptions _encoderOptions = EncoderOptions.Default;
    private MediaSessionOptions _sessionOptions = MediaSessionOptions.Default;
    private FfmpegOptions? _ffmpegOptions;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;

    /// <summary>Loads the encoder from a checkpoint directory (config.json + model.safetensors).</summary>
    public MediaSdkBuilder UseModel(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        (_modelDirectory, _randomSeed, _encoder) = (modelDirectory, null, null);
        return this;
    }

    /// <summary>Folder of the default model shipped next to the application (models/btok-tiny), whether or not it is there.</summary>
    public static string DefaultModelDirectory => Path.Combine(AppContext.BaseDirectory, "models", "btok-tiny");

    /// <summary>True when the default model ships with this application (<see cref="DefaultModelDirectory"/> holds one).</summary>
    public static bool HasDefaultModel => File.Exists(Path.Combine(DefaultModelDirectory, "config.json"));

    /// <summary>
    /// Uses the default model shipped with the application: btok-tiny, trained on the procedural world of
    /// docs/synth.md (<c>./build.sh train-default</c>). It knows shapes, colours, motions and words of that world only.
    /// </summary>
    /// <exception cref="ModelLoadException">This build carries no default model.</exception>
    public MediaSdkBuilder UseDefaultModel()
    {
        if (!HasDefaultModel)
            throw new ModelLoadException($"No default model in '{DefaultModelDirectory}'; build from a checkout that has models/btok-tiny (./build.sh train-default makes it), or pass a model folder.");
        return UseModel(DefaultModelDirectory);
    }

    /// <summary>
    /// Uses a seeded, randomly initialised encoder of the default size. Its embeddings are deterministic but carry no
    /// meaning: for wiring, tests and benchmarks until a trained model is available.
    /// </summary>
    public MediaSdkBuilder UseRandomModel(int seed = 0)
    {
        (_modelDirectory, _randomSeed, _encoder) = (null, seed, null);
        return this;
    }

    /// <summary>Uses an encoder the host created (any <see cref="IClipEncoder"/>). The session takes ownership and disposes it.</summary>
    public MediaSdkBuilder UseEncoder(IClipEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        (_modelDirectory, _randomSeed, _encoder) = (null, null, encoder);
        return this;
    }

    /// <summary>Encoder device, dtype, threads and pooling. Threads default to <see cref="MediaSessionOptions.EncoderThreads"/>.</summary>
    public MediaSdkBuilder WithEncoderOptions(EncoderOptions options)
    {
        _encoderOptions = options ?? throw new ArgumentNullException(nameof(options));
        return this;
    }

    /// <summary>Session-wide resource caps (threads, queue memory).</summary>
    public MediaSdkBuilder WithSessionOptions(MediaSessionOptions options)
    {
        _sessionOptions = options ?? throw new ArgumentNullException(nameof(options));
        return this;
    }

    /// <summary>Where ffmpeg lives and where its pipes go.</summary>
    public MediaSdkBuilder WithFfmpeg(FfmpegOptions options)
    {
        _ffmpegOptions = options ?? throw new ArgumentNullException(nameof(options));
        return this;
    }

    /// <summary>Logs through <paramref name="loggerFactory"/>. Default: no logging.</summary>
    public MediaSdkBuilder WithLogging(ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory ?? throw new ArgumentNullException(nameof(loggerFactory));
        return this;
    }

    /// <summary>The default architecture, stamped so nobody mistakes it for a trained model.</summary>
    internal static BtokConfig RandomModelConfig(int seed) =>
        BtokConfig.Default with { ModelId = "btok-random-init", Version = $"seed{seed}" };

    /// <summary>Creates the encoder and the session.</summary>
    /// <returns>A new session; the caller disposes it (which also disposes the encoder).</returns>
    /// <remarks>
    /// The encoder's weights load on a background thread while streams connect. A failure found then (corrupt weights,
    /// a requested device that is missing) ends each stream with an <see cref="ErrorEvent"/> carrying a
    /// <see cref="ModelLoadException"/> or <see cref="DeviceUnavailableException"/>.
    /// </remarks>
    /// <exception cref="ModelLoadException">The model directory or its config is missing or invalid.</exception>
    /// <exception cref="InvalidOperationException">No model was chosen.</exception>
    public MediaSession Build()
    {
        EncoderOptions encoderOptions = _encoderOptions.Threads is null
            ? _encoderOptions with { Threads = _sessionOptions.EncoderThreads ?? Math.Clamp(Environment.ProcessorCount / 2, 1, 4) }
            : _encoderOptions;
        ILoggerFactory logging = _loggerFactory;
        IClipEncoder encoder;
        if (_encoder is not null)
        {
            encoder = _encoder;
        }
        else if (_modelDirectory is string dir)
        {
            // The config is checked now (a bad folder fails here); the weights load while the sources connect.
            BtokConfig config = BtokEncoder.ReadConfig(dir);
            encoder = new BackgroundLoadedEncoder(config, () => BtokEncoder.Load(dir, encoderOptions, logging));
        }
        else if (_randomSeed is int seed)
        {
            BtokConfig config = RandomModelConfig(seed);
            encoder = new BackgroundLoadedEncoder(config, () => BtokEncoder.CreateRandom(config, seed, encoderOptions, logging));
        }
        else
        {
            throw new InvalidOperationException("No model chosen: call UseModel(dir), UseRandomModel(seed) or UseEncoder(encoder) before Build().");
        }
        try
        {
            return new MediaSession(encoder, new FfmpegSourceFactory(_ffmpegOptions, _loggerFactory), new CpuFramePreprocessor(),
                _sessionOptions, _loggerFactory, ownsEncoder: true);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }
}
