using MediaSdk.TestSupport;

namespace MediaSdk.Tests;

/// <summary>Clips generated once per test class with real ffmpeg.</summary>
public sealed class ClipsFixture : IDisposable
{
    public ClipFactory Factory { get; } = new();

    public Task<string> GetAsync(string name, Func<ClipFactory, Task<string>> make) => Factory.GetAsync(name, make);

    /// <summary>A 5 s 320x240 25 fps H.264 test pattern.</summary>
    public Task<string> FiveSecondsAsync() => GetAsync("five.mp4", f => f.TestSrcAsync("five.mp4", 320, 240, seconds: 5));

    public void Dispose() => Factory.Dispose();
}
