using System.Diagnostics;
using MediaSdk.Model;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static MediaSdk.Model.Tests.TestModels;

namespace MediaSdk.Model.Tests;

/// <summary>Tests that read process-wide torch state (thread count) or measure time: never run beside other tests.</summary>
[CollectionDefinition("Live", DisableParallelization = true)]
public sealed class LiveCollection;

[Collection("Live")]
public sealed class SerialTests(ITestOutputHelper output)
{
    [Fact]
    public void Load_ThreadsOption_SetsTorchThreadCount()
    {
        string dir = TempDir();
        try
        {
            using (BtokEncoder seed = BtokEncoder.CreateRandom(Tiny, 1, Cpu)) seed.Save(dir);
            using (BtokEncoder one = BtokEncoder.Load(dir, Cpu with { Threads = 1 }))
            {
                Assert.Equal(1, one.Threads);
                Assert.Equal(1, torch.get_num_threads());
            }
            using BtokEncoder two = BtokEncoder.CreateRandom(Tiny, 1, Cpu with { Threads = 2 });
            Assert.Equal(2, torch.get_num_threads());
            using BtokEncoder auto = BtokEncoder.CreateRandom(Tiny, 1, new EncoderOptions { Device = EncoderDevice.Cpu });
            Assert.Equal(Math.Min(Environment.ProcessorCount, 4), torch.get_num_threads());
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void CreateRandom_WithLogger_LogsOneInformationLine()
    {
        using var factory = new CapturingLoggerFactory();
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Tiny, 1, Cpu, factory);
        (LogLevel level, string message) = Assert.Single(factory.Entries);
        Assert.Equal(LogLevel.Information, level);
        Assert.Contains("tiny-test", message);
        Assert.Contains("cpu", message);
        Assert.Contains("float32", message);
        Assert.Contains("2 threads", message);
        EncodeText(encoder, "nothing logged per call");
        Assert.Single(factory.Entries);
    }

    [Fact]
    public void EncodeFrames_HundredWindows_LiveTensorCountFlat()
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(Tiny, 2, Cpu);
        PooledFrame[] frames = Frames(4, Tiny.ImageSize, seed: 30);
        try
        {
            var e = new float[encoder.Dimension];
            encoder.EncodeFrames(frames, e); // warm-up
            encoder.EncodeText("warm", e);
            long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            for (int i = 0; i < 100; i++)
            {
                encoder.EncodeFrames(frames, e);
                if (i % 10 == 0) encoder.EncodeTexts(["a", "bb cc"], new float[2 * encoder.Dimension]);
            }
            long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            Assert.Equal(before, after);
        }
        finally
        {
            DisposeAll(frames);
        }
    }

    [Theory]
    [InlineData(EncoderDType.Float32)]
    [InlineData(EncoderDType.BFloat16)]
    public void EncodeFrames_DefaultConfig_UnitNormAndTiming(EncoderDType dtype)
    {
        using BtokEncoder encoder = BtokEncoder.CreateRandom(BtokConfig.Default, 1, new EncoderOptions { Device = EncoderDevice.Cpu, Threads = 2, DType = dtype });
        Assert.Equal(256, encoder.Dimension);
        Assert.Equal(49, encoder.Config.TokensPerFrame);
        PooledFrame[] frames = Frames(8, 112, seed: 31);
        try
        {
            var e = new float[encoder.Dimension];
            for (int i = 0; i < 3; i++) encoder.EncodeFrames(frames, e);
            Assert.Equal(1.0, Norm(e), 4);
            const int Runs = 20;
            var times = new double[Runs];
            for (int i = 0; i < Runs; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                encoder.EncodeFrames(frames, e);
                times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Array.Sort(times);
            var text = new float[encoder.Dimension];
            long t1 = Stopwatch.GetTimestamp();
            for (int i = 0; i < Runs; i++) encoder.EncodeText("a person walks a dog along the beach at sunset", text);
            double textMs = Stopwatch.GetElapsedTime(t1).TotalMilliseconds / Runs;
            output.WriteLine($"default d256/4L, 8x112px (392+4 tokens), {encoder.DTypeName}, 2 threads: median {times[Runs / 2]:F1} ms/window (min {times[0]:F1}, max {times[^1]:F1}); text {textMs:F2} ms");
            Assert.Equal(1.0, Norm(text), 4);
        }
        finally
        {
            DisposeAll(frames);
        }
    }

    private sealed class CapturingLoggerFactory : ILoggerFactory
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public void AddProvider(ILoggerProvider provider) { }

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose() { }

        private sealed class Logger(CapturingLoggerFactory owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
