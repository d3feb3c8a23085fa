using MediaSdk.Contracts;
using MediaSdk.Media;

namespace MediaSdk.Training.Data;

/// <summary>A media span to decode: a video (whole, or [Start, End)) or an image.</summary>
internal readonly record struct MediaKey(string Path, double? Start, double? End, bool IsImage);

/// <summary>
/// Decodes one clip window through the inference path (ARCHITECTURE.md "the shared path"): a real
/// <see cref="MediaSession"/> over <see cref="FfmpegSourceFactory"/>, whose encoder is a <see cref="WindowCapture"/>
/// that keeps the window's preprocessed frames instead of encoding them. Window rule, sampling and preprocessing are
/// therefore exactly those of <c>mediasdk tag</c>.
/// </summary>
internal static class WindowDecoder
{
    /// <summary>Window length for an image: any length works (one frame, one window); 1 s keeps the numbers plain.</summary>
    private const double ImageSeconds = 1.0;
    private const double MaxWindowSeconds = 3600; // WindowOptions.Length's limit

    private static readonly FfmpegSourceFactory s_factory = new();

    /// <summary>The window's frames: Frames * 3 * size * size floats, CHW per frame, in [-1, 1].</summary>
    /// <param name="key">What to decode.</param>
    /// <param name="framesPerWindow">N for a video; an image always gives 1 frame.</param>
    /// <param name="size">Model input size S.</param>
    /// <param name="defaultVideoSeconds">Window length for a whole video whose duration ffprobe cannot tell.</param>
    /// <param name="ct">Cancels the decode (the ffmpeg process is ended).</param>
    /// <exception cref="MediaInputException">The media cannot be read or yields no window (the message says why).</exception>
    public static async Task<float[]> DecodeAsync(MediaKey key, int framesPerWindow, int size, double defaultVideoSeconds, CancellationToken ct)
    {
        double start = key.Start ?? 0;
        double length;
        int frames = key.IsImage ? 1 : framesPerWindow;
        if (key.IsImage) length = ImageSeconds;
        else if (key.End is double end) length = end - start;
        else
        {
            MediaInfo info = await MediaProbe.ProbeAsync(key.Path, ct).ConfigureAwait(false);
            length = info.Duration > 0 ? info.Duration : defaultVideoSeconds;
            if (length > MaxWindowSeconds)
                throw new MediaFormatException($"the video is {info.Duration:0} s long; without \"start\"/\"end\" the whole clip is one window, which may be at most 1 hour; give \"start\" and \"end\".");
        }
        TimeSpan window = TimeSpan.FromSeconds(length);
        var options = StreamOptions.Default with
        {
            Window = new WindowOptions { Length = window, Hop = window, FramesPerWindow = frames },
            Source = SourceOptions.Default with
            {
                Start = key.Start is double s ? TimeSpan.FromSeconds(s) : null,
                End = key.End is double e ? TimeSpan.FromSeconds(e) : null,
                Live = false,
            },
        };

        using var capture = new WindowCapture(new PreprocessOptions { Size = size });
        await using var session = new MediaSession(capture, new RebasingSourceFactory(s_factory, start), Gpu.CpuFramePreprocessor.Instance,
            new MediaSessionOptions { IncludeEmbeddings = false, MaxQueuedWindows = 1 });
        session.AddSource(key.Path, options);
        session.CompleteAdding();
        MediaSdkException? error = null;
        var warnings = new List<string>();
        await foreach (MediaEvent ev in session.ReadEventsAsync(ct).ConfigureAwait(false))
        {
            if (ev is ErrorEvent err) error ??= err.Error;
            else if (ev is WarningEvent w) warnings.Add(w.Message);
        }
        ct.ThrowIfCancellationRequested();
        if (error is not null) throw error;
        return capture.Pixels
            ?? throw new MediaFormatException($"no clip window could be cut{(warnings.Count > 0 ? " (" + warnings[0] + ")" : "")}; check that \"start\"/\"end\" lie inside the video.");
    }

    /// <summary>
    /// An <see cref="IClipEncoder"/> that keeps a copy of the first window's frames (the pipeline's encoder input) and
    /// encodes nothing: training needs the encoder's input, and the trainer runs the model itself.
    /// </summary>
    private sealed class WindowCapture(PreprocessOptions preprocess) : IClipEncoder
    {
        private static readonly ModelStamp s_stamp = new("training-data-capture", "1");

        public float[]? Pixels { get; private set; }
        public ModelStamp Model => s_stamp;
        public int Dimension => 1;
        public PreprocessOptions Preprocess => preprocess;
        public int MaxFramesPerWindow => 64;

        public void EncodeFrames(ReadOnlySpan<PooledFrame> frames, Span<float> embedding)
        {
            embedding.Clear();
            if (Pixels is not null) return; // one window is asked for; a later one (rounding at the end) is not used
            int n = 3 * preprocess.Size * preprocess.Size;
            var pixels = new float[frames.Length * n];
            for (int i = 0; i < frames.Length; i++) frames[i].Pixels.CopyTo(pixels.AsSpan(i * n, n));
            Pixels = pixels;
        }

        public void EncodeText(string text, Span<float> embedding) =>
            throw new NotSupportedException("The training-data capture encoder encodes no text; the session is given no labels.");

        public void Dispose() { }
    }

    /// <summary>
    /// Wraps the ffmpeg factory so each source's timestamps count from the seek point: ffmpeg samples at
    /// start + (k + 0.5) * L / N already, but the window grid starts at media time 0, so without this a start that is not
    /// a multiple of the window length would land between windows. Frames and their order are untouched.
    /// </summary>
    private sealed class RebasingSourceFactory(IFrameSourceFactory inner, double offset) : IFrameSourceFactory
    {
        public IFrameSource Create(string input, SourceOptions options, FrameRequest request)
        {
            IFrameSource source = inner.Create(input, options, request);
            return offset == 0 ? source : new RebasingSource(source, offset);
        }
    }

    private sealed class RebasingSource(IFrameSource inner, double offset) : IFrameSource
    {
        public string DisplayName => inner.DisplayName;
        public bool IsLive => inner.IsLive;

        public async Task<SourceCompletion> RunAsync(IFrameSink sink, CancellationToken ct)
        {
            SourceCompletion done = await inner.RunAsync(new RebasingSink(sink, offset), ct).ConfigureAwait(false);
            return new SourceCompletion(done.Duration is double d ? Math.Max(0, d - offset) : null);
        }
    }

    private sealed class RebasingSink(IFrameSink inner, double offset) : IFrameSink
    {
        public async ValueTask WriteAsync(PooledFrame frame, CancellationToken ct)
        {
            PooledFrame moved;
            using (frame)
            {
                moved = PooledFrame.Rent(frame.Size, frame.Pts - offset, frame.ReceivedTimestamp);
                frame.Pixels.CopyTo(moved.Pixels);
            }
            await inner.WriteAsync(moved, ct).ConfigureAwait(false);
        }

        public void OnStateChanged(StreamState state, string? detail = null) => inner.OnStateChanged(state, detail);
        public void OnWarning(string message) => inner.OnWarning(message);
        public void OnDiscontinuity() => inner.OnDiscontinuity();
    }
}
