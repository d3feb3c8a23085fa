using static TorchSharp.torch;

namespace MediaSdk.Model.Tests;

public sealed class TorchLoadTests
{
    [Fact]
    public void Torch_LoadsOnThisMachine_AddsTensors()
    {
        using var a = ones(2, 3);
        using var b = a + a;
        Assert.Equal(12f, b.sum().item<float>());
    }
}
