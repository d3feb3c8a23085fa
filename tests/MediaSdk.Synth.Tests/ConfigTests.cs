using MediaSdk.Synth;

namespace MediaSdk.Synth.Tests;

public sealed class ConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("msdk-synth-cfg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N")[..8] + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Default_Validate_Passes()
    {
        SynthConfig.Default.Validate();
        SynthConfig.Small.Validate();
    }

    [Fact]
    public void Load_DefaultJson_RoundTrips()
    {
        string path = Write(SynthConfig.Default.ToJson());
        Assert.Equal(SynthConfig.Default.ToJson(), SynthConfig.Load(path).ToJson());
    }

    [Fact]
    public void Load_PartialFile_KeepsOtherDefaults()
    {
        SynthConfig c = SynthConfig.Load(Write("""{ "seed": 7, /* comment */ "splits": { "train": { "clips": 5 } }, }"""));
        Assert.Equal(7, c.Seed);
        Assert.Equal(5, c.Splits.Train.Clips);
        Assert.Equal(SynthConfig.Default.Splits.Train.Images, c.Splits.Train.Images);
        Assert.Equal(SynthConfig.Default.Splits.Test, c.Splits.Test);
        Assert.Equal(SynthConfig.Default.Shapes, c.Shapes);
    }

    [Fact]
    public void Load_MissingFile_ThrowsNotFoundNamingFile()
    {
        string path = Path.Combine(_dir, "nope.json");
        var e = Assert.Throws<MediaNotFoundException>(() => SynthConfig.Load(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "sead": 3 }""", "sead")]
    [InlineData("""{ "seed": "three" }""", "seed")]
    [InlineData("""{ "shapes": ["circle", "blob"] }""", "shapes")]
    [InlineData("""{ "colours": { "red": "red" , "blue": "#0000FF" } }""", "colours")]
    [InlineData("""{ "heldOut": { "attributeObject": ["red blob"] } }""", "heldOut.attributeObject")]
    [InlineData("""{ "heldOut": { "objectMotion": ["circle fly"] } }""", "heldOut.objectMotion")]
    [InlineData("""{ "width": 100, "height": 63 }""", "width")]
    [InlineData("""{ "crfMin": 40, "crfMax": 20 }""", "crfMin")]
    [InlineData("""{ "words": ["TOOLONG"] }""", "words")]
    [InlineData("""{ "splits": { "val": { "clips": -1 } } }""", "splits.val")]
    [InlineData("""{ "textProbability": 1.5 }""", "textProbability")]
    [InlineData("""{ "seed": 1 """, "")]
    public void Load_BadField_ThrowsOneLineNamingFileAndField(string json, string field)
    {
        string path = Write(json);
        var e = Assert.Throws<MediaFormatException>(() => SynthConfig.Load(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(field, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
