using System.Diagnostics.Metrics;

namespace MediaSdk.Core;

/// <summary>The session's instruments on a Meter named "MediaSdk"; every measurement is tagged with the stream.</summary>
internal sealed class PipelineMetrics : IDisposable
{
    public const string MeterName = "MediaSdk";
    private readonly Meter _meter;

    public PipelineMetrics(Func<IEnumerable<Measurement<int>>> frameQueues, Func<IEnumerable<Measurement<int>>> windowQueues)
    {
        _meter = new Meter(MeterName);
        Assemble = _meter.CreateHistogram<double>("mediasdk.window.assemble", "ms", "Last frame of a window received -> window queued.");
        QueueWait = _meter.CreateHistogram<double>("mediasdk.window.queue_wait", "ms", "Window queued -> encoder starts it.");
        Encode = _meter.CreateHistogram<double>("mediasdk.window.encode", "ms", "Encoder time per window.");
        EndToEnd = _meter.CreateHistogram<double>("mediasdk.window.latency", "ms", "Last frame received -> window event written.");
        Frames = _meter.CreateCounter<long>("mediasdk.frames", "{frame}", "Frames received from sources.");
        Dropped = _meter.CreateCounter<long>("mediasdk.windows.dropped", "{window}", "Windows dropped because the encoder was behind (live).");
        _meter.CreateObservableGauge("mediasdk.queue.frames", frameQueues, "{frame}", "Frames waiting for the window assembler.");
        _meter.CreateObservableGauge("mediasdk.queue.windows", windowQueues, "{window}", "Windows waiting for the encoder.");
    }

    public Histogram<double> Assemble { get; }
    public Histogram<double> QueueWait { get; }
    public Histogram<double> Encode { get; }
    public Histogram<double> EndToEnd { get; }
    public Counter<long> Frames { get; }
    public Counter<long> Dropped { get; }

    public void Dispose() => _meter.Dispose();
}
