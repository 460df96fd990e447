using System.Buffers.Binary;
using GpuSelfLabel.Datasets;

namespace GpuSelfLabel.Tests.Clustering;

public sealed class IdxReaderTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "gsl-idx-tests", Guid.NewGuid().ToString("N"));

    public IdxReaderTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Images_are_flattened_and_scaled_to_unit_range(bool gzip)
    {
        byte[] pixels = [0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8];
        string path = Path.Combine(directory, "images");
        IdxFiles.Write(path, IdxFiles.Encode(0x08, [3, 2, 2], pixels), gzip);
        var (values, rows, columns) = IdxReader.ReadImages(path);
        Assert.Equal(3, rows);
        Assert.Equal(4, columns);
        for (int i = 0; i < pixels.Length; i++)
        {
            Assert.Equal(pixels[i] / 255f, values[i], 6);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Labels_are_read_as_class_indices(bool gzip)
    {
        string path = Path.Combine(directory, "labels");
        IdxFiles.Write(path, IdxFiles.Encode(0x08, [5], [9, 0, 3, 3, 7]), gzip);
        Assert.Equal([9, 0, 3, 3, 7], IdxReader.ReadLabels(path));
    }

    [Fact]
    public void Wider_types_are_big_endian()
    {
        var data = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(data, -7);
        BinaryPrimitives.WriteSingleBigEndian(data.AsSpan(4), 2.5f);
        var ints = IdxReader.Read(new MemoryStream(IdxFiles.Encode(0x0C, [1], data[..4])));
        Assert.Equal(-7f, ints.Values[0]);
        var floats = IdxReader.Read(new MemoryStream(IdxFiles.Encode(0x0D, [1, 1], data[4..])));
        Assert.Equal(2.5f, floats.Values[0]);
        Assert.Equal([1, 1], floats.Shape);
    }

    [Fact]
    public void Broken_files_say_what_is_wrong()
    {
        var notIdx = Assert.Throws<InvalidDataException>(() => IdxReader.Read(new MemoryStream([1, 2, 3, 4, 5])));
        Assert.Contains("not an IDX file", notIdx.Message, StringComparison.Ordinal);

        var type = Assert.Throws<InvalidDataException>(() => IdxReader.Read(new MemoryStream([0, 0, 0x42, 1, 0, 0, 0, 1, 0])));
        Assert.Contains("0x42", type.Message, StringComparison.Ordinal);

        var truncated = IdxFiles.Encode(0x08, [10, 2, 2], new byte[7]);
        var shortData = Assert.Throws<InvalidDataException>(() => IdxReader.Read(new MemoryStream(truncated)));
        Assert.Contains("ends in its data", shortData.Message, StringComparison.Ordinal);

        string path = Path.Combine(directory, "floats");
        IdxFiles.Write(path, IdxFiles.Encode(0x0D, [1], new byte[4]), gzip: false);
        Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));
        Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Catalog_loads_a_split_from_a_directory(bool gzip)
    {
        string folder = Path.Combine(directory, "fashion");
        IdxFiles.WriteDataset(folder, [0, 255, 255, 0, 10, 20, 30, 40], 2, 2, 2, [4, 1], gzip);
        var data = DatasetCatalog.Load("fashion-mnist", "test", folder);
        Assert.Equal(2, data.Rows);
        Assert.Equal(4, data.Columns);
        Assert.Equal([4, 1], data.Labels);
        Assert.Equal(1f, data.Features[1]);
    }

    [Fact]
    public void Catalog_errors_name_the_argument()
    {
        Assert.Equal("dataset", Assert.Throws<GslArgumentException>(() => DatasetCatalog.Load("cifar-10")).Argument);
        Assert.Equal("split", Assert.Throws<GslArgumentException>(() => DatasetCatalog.Load("fashion-mnist", "validation")).Argument);
        var missing = Assert.Throws<GslArgumentException>(() => DatasetCatalog.Load("fashion-mnist", "test", Path.Combine(directory, "empty")));
        Assert.Equal("dataset", missing.Argument);
        Assert.Contains("apt-get install dataset-fashion-mnist", missing.Message, StringComparison.Ordinal);

        string folder = Path.Combine(directory, "mismatch");
        IdxFiles.WriteDataset(folder, new byte[8], 2, 2, 2, [1, 2], gzip: false);
        IdxFiles.Write(Path.Combine(folder, "t10k-labels-idx1-ubyte"), IdxFiles.Encode(0x08, [3], [1, 2, 3]), gzip: false);
        Assert.Throws<InvalidDataException>(() => DatasetCatalog.Load("mnist", "test", folder));
    }
}
