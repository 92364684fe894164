//! What xarray and zarr-python users keep beside the values: `dimension_names` and user
//! attributes written by `to_zarr` and read back by `from_zarr`'s store, arrays opened by
//! a path inside a group (nested, v3 and v2), groups listed, malformed metadata refused
//! with typed errors, and a dtype-erased array taken as a typed one.

use serde_json::{Value, json};
use spillway::array::dynamic::AnyArray;
use spillway::array::zarr::ToZarr;
use spillway::store::StoreError;
use spillway::store::zarr::{ZarrOptions, ZarrStore, array_info, create_group, list_group};
use spillway::{Array, ArrayError, DType, Error};
use std::path::Path;

fn attrs(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn zarr_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path.join("zarr.json")).unwrap()).unwrap()
}

fn patch(path: &Path, field: &str, value: Value) {
    let mut j = zarr_json(path);
    j[field] = value;
    std::fs::write(path.join("zarr.json"), j.to_string()).unwrap();
}

#[test]
fn to_zarr_writes_dimension_names_and_attributes_that_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t2m.zarr");
    let x = spillway::arange(0.0f32, 24.0, 1.0, 5).reshape(&[4, 3, 2]);
    let how = ToZarr::default()
        .dimension_names([Some("time"), Some("lat"), None])
        .attributes(attrs(
            json!({"units": "K", "scale": [1, 2], "nested": {"a": null}}),
        ));
    x.to_zarr_with(&path, &how).unwrap();

    // on disk, as zarr v3 says: a top-level list of strings and nulls, attributes beside
    // spillway's completion record
    let j = zarr_json(&path);
    assert_eq!(j["dimension_names"], json!(["time", "lat", null]));
    assert_eq!(j["attributes"]["units"], "K");
    assert_eq!(j["attributes"]["spillway"]["complete"], true);

    let store = ZarrStore::<f32>::open(&path).unwrap();
    assert_eq!(
        store.dimension_names().unwrap(),
        &[Some("time".to_string()), Some("lat".to_string()), None]
    );
    assert_eq!(
        Value::Object(store.attributes().clone()),
        json!({"units": "K", "scale": [1, 2], "nested": {"a": null}})
    );
    let info = array_info(&path).unwrap();
    assert_eq!(
        info.dimension_names,
        store.dimension_names().map(<[_]>::to_vec)
    );
    assert_eq!(&info.attributes, store.attributes());
    assert_eq!(
        (info.shape.as_slice(), info.zarr_format),
        (&[4, 3, 2][..], 3)
    );
    // and the values are still the values
    assert_eq!(
        spillway::from_zarr::<f32>(&path)
            .sum()
            .compute_scalar()
            .unwrap(),
        276.0
    );
}

#[test]
fn arrays_without_names_or_attributes_read_back_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    spillway::zeros::<i64>([3], 2).to_zarr(&path).unwrap();
    assert!(zarr_json(&path).get("dimension_names").is_none());
    let store = ZarrStore::<i64>::open(&path).unwrap();
    assert_eq!(store.dimension_names(), None);
    assert!(store.attributes().is_empty());
}

#[test]
fn dimension_names_of_the_wrong_length_are_refused_before_anything_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    let x = spillway::zeros::<f64>([4, 3], 2);
    let err = x
        .to_zarr_with(&path, &ToZarr::default().dimension_names(["a", "b", "c"]))
        .unwrap_err();
    match &err {
        Error::Store(StoreError::DimensionNames {
            count, ndim, names, ..
        }) => {
            assert_eq!((*count, *ndim), (3, 2));
            assert_eq!(names, r#"["a","b","c"]"#);
        }
        other => panic!("expected DimensionNames, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("3 dimension names") && text.contains("2 dimensions"),
        "{text}"
    );
    assert!(!path.exists());
    // the store layer refuses the same
    let o = ZarrOptions {
        dimension_names: Some(vec![None]),
        ..Default::default()
    };
    let err = ZarrStore::<f64>::create(&path, &[4, 3], &[2, 2], &o).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::DimensionNames {
                count: 1,
                ndim: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(!path.exists());
    // and so is spillway's own attribute
    let err = x
        .to_zarr_with(
            &path,
            &ToZarr::default().attributes(attrs(json!({"spillway": 1}))),
        )
        .unwrap_err();
    assert!(
        matches!(&err, Error::Store(StoreError::Metadata { field, .. }) if field == "attributes.spillway"),
        "{err}"
    );
    assert!(!path.exists());
}

#[test]
fn malformed_metadata_read_back_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    spillway::zeros::<f64>([4, 3], 2).to_zarr(&path).unwrap();
    let cases: [(&str, Value, &str); 5] = [
        ("dimension_names", json!("time"), "not a list of names"),
        ("dimension_names", json!(["time", 7]), "7 for axis 1"),
        ("dimension_names", json!(["time"]), "1 dimension names"),
        ("attributes", json!([1, 2]), "not a JSON object"),
        ("attributes", json!("units"), "not a JSON object"),
    ];
    for (field, value, expected) in cases {
        patch(&path, field, value.clone());
        for err in [
            ZarrStore::<f64>::open(&path).unwrap_err(),
            array_info(&path).unwrap_err(),
        ] {
            let text = err.to_string();
            assert!(
                matches!(
                    err,
                    StoreError::Metadata { .. } | StoreError::DimensionNames { .. }
                ),
                "{field} = {value}: {err:?}"
            );
            assert!(text.contains(expected), "{field} = {value}: {text}");
            assert!(text.contains("x.zarr"), "{text}");
        }
        let err = spillway::from_zarr::<f64>(&path).check().unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
        assert!(AnyArray::from_zarr(&path).is_err());
        patch(
            &path,
            field,
            if field == "attributes" {
                json!({})
            } else {
                Value::Null
            },
        );
    }
    // null dimension names are zarr's "unnamed"; the store opens again
    assert_eq!(
        ZarrStore::<f64>::open(&path).unwrap().dimension_names(),
        None
    );
}

/// A group as zarr-python 3 writes one (`zarr.open_group(path, mode="w")`).
fn zarr_python_group(path: &Path) {
    std::fs::create_dir_all(path).unwrap();
    std::fs::write(
        path.join("zarr.json"),
        r#"{"attributes": {"title": "made by hand"}, "zarr_format": 3, "consolidated_metadata": null, "node_type": "group"}"#,
    )
    .unwrap();
}

#[test]
fn from_zarr_opens_arrays_inside_groups_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root.zarr");
    zarr_python_group(&root);
    create_group(root.join("group")).unwrap();
    let x = spillway::arange(0i32, 10, 1, 4);
    x.to_zarr(root.join("group/array")).unwrap();
    spillway::full([2, 2], 1.5f64, 1)
        .to_zarr(root.join("top"))
        .unwrap();

    let typed = spillway::from_zarr::<i32>(root.join("group/array"));
    assert_eq!(typed.compute_vec().unwrap(), (0..10).collect::<Vec<_>>());
    let any = AnyArray::from_zarr(root.join("group/array")).unwrap();
    assert_eq!(any.dtype(), DType::Int32);
    let by_name = spillway::from_zarr_in_group::<i32>(&root, "group/array");
    assert_eq!(by_name.sum().compute_scalar().unwrap(), 45);
    assert_eq!(
        spillway::from_zarr::<f64>(root.join("top"))
            .sum()
            .compute_scalar()
            .unwrap(),
        6.0
    );
    // a group is not an array: the error lists what it holds
    let err = spillway::from_zarr::<f64>(&root).check().unwrap_err();
    assert!(err.to_string().contains("[\"top\"]"), "{err}");
}

#[test]
fn list_group_lists_a_groups_arrays_v3_and_v2() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ds.zarr");
    zarr_python_group(&root);
    spillway::zeros::<f32>([365, 18, 36], [100, 18, 36])
        .to_zarr_with(
            root.join("t2m"),
            &ToZarr::default()
                .dimension_names(["time", "lat", "lon"])
                .attributes(attrs(json!({"units": "K"}))),
        )
        .unwrap();
    spillway::arange(0i64, 365, 1, 365)
        .to_zarr_with(
            root.join("time"),
            &ToZarr::default()
                .dimension_names(["time"])
                .shards(vec![365]),
        )
        .unwrap();
    create_group(root.join("sub")).unwrap(); // a sub-group: not listed
    std::fs::create_dir(root.join("notes")).unwrap(); // not zarr: not listed
    std::fs::write(root.join("README"), "a file").unwrap();

    let arrays = list_group(&root).unwrap();
    let names: Vec<&str> = arrays.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["t2m", "time"]);
    let t2m = &arrays[0];
    assert_eq!(t2m.shape, [365, 18, 36]);
    assert_eq!(t2m.chunk_shape, Some(vec![100, 18, 36]));
    assert_eq!(t2m.dtype(), Some(DType::Float32));
    assert_eq!(
        t2m.dimension_names,
        Some(vec![
            Some("time".into()),
            Some("lat".into()),
            Some("lon".into())
        ])
    );
    assert_eq!(t2m.attributes["units"], "K");
    assert_eq!(t2m.path, root.join("t2m"));
    let time = &arrays[1];
    assert_eq!((time.data_type.as_str(), time.zarr_format), ("int64", 3));
    assert_eq!(time.shard_shape, Some(vec![365]));
    assert_eq!(time.chunk_shape, Some(vec![365]));

    // each listed array opens by its path
    for a in &arrays {
        assert_eq!(AnyArray::from_zarr(&a.path).unwrap().shape(), a.shape);
    }
    // an empty group lists nothing; an array or a missing path is an error
    assert!(list_group(root.join("sub")).unwrap().is_empty());
    assert!(matches!(
        list_group(root.join("t2m")),
        Err(StoreError::NotGroup { .. })
    ));
    assert!(matches!(
        list_group(dir.path().join("none")),
        Err(StoreError::NotFound { .. })
    ));
    // a listed array whose metadata is malformed fails the listing, naming it
    patch(&root.join("time"), "dimension_names", json!([1]));
    let err = list_group(&root).unwrap_err();
    assert!(err.to_string().contains("time"), "{err}");
}

#[test]
fn zarr_v2_groups_list_with_xarrays_dimension_attribute() {
    // a zarr v2 group as xarray (zarr_format=2) writes it: .zgroup, and an array with
    // .zarray, .zattrs holding _ARRAY_DIMENSIONS, and one raw little-endian chunk
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("v2.zarr");
    let array = root.join("temp");
    std::fs::create_dir_all(&array).unwrap();
    std::fs::write(root.join(".zgroup"), r#"{"zarr_format": 2}"#).unwrap();
    std::fs::write(
        array.join(".zarray"),
        r#"{"zarr_format": 2, "shape": [2, 3], "chunks": [2, 3], "dtype": "<f8",
            "compressor": null, "fill_value": 0.0, "filters": null, "order": "C"}"#,
    )
    .unwrap();
    std::fs::write(
        array.join(".zattrs"),
        r#"{"_ARRAY_DIMENSIONS": ["y", "x"], "long_name": "temperature"}"#,
    )
    .unwrap();
    let values: Vec<u8> = (0..6).flat_map(|i| (i as f64).to_le_bytes()).collect();
    std::fs::write(array.join("0.0"), values).unwrap();

    let listed = list_group(&root).unwrap();
    assert_eq!(listed.len(), 1);
    let info = &listed[0];
    assert_eq!((info.name.as_str(), info.zarr_format), ("temp", 2));
    assert_eq!(info.data_type, "float64");
    assert_eq!(
        info.dimension_names,
        Some(vec![Some("y".into()), Some("x".into())])
    );
    assert_eq!(info.attributes["long_name"], "temperature");
    let store = ZarrStore::<f64>::open(&array).unwrap();
    assert_eq!(store.dimension_names(), info.dimension_names.as_deref());
    assert_eq!(
        spillway::from_zarr::<f64>(&array)
            .sum()
            .compute_scalar()
            .unwrap(),
        15.0
    );

    std::fs::write(array.join(".zattrs"), r#"{"_ARRAY_DIMENSIONS": "y"}"#).unwrap();
    assert!(matches!(
        ZarrStore::<f64>::open(&array).unwrap_err(),
        StoreError::Metadata { .. }
    ));
    std::fs::write(array.join(".zattrs"), "not json").unwrap();
    let err = array_info(&array).unwrap_err();
    assert!(err.to_string().contains("not valid JSON"), "{err}");
}

#[test]
fn a_dtype_erased_array_converts_to_its_typed_array_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    spillway::arange(0.0f32, 6.0, 1.0, 4)
        .to_zarr(&path)
        .unwrap();
    let any = AnyArray::from_zarr(&path).unwrap();
    assert_eq!(any.dtype(), DType::Float32);

    let x: Array<f32> = any.clone().try_into().unwrap();
    assert_eq!(x.sum().compute_scalar().unwrap(), 15.0);
    let by_ref = Array::<f32>::try_from(&any).unwrap();
    assert_eq!(by_ref.shape(), &[6]);

    let err = Array::<f64>::try_from(any.clone()).unwrap_err();
    assert_eq!(
        err,
        ArrayError::DtypeMismatch {
            stored: DType::Float32,
            requested: DType::Float64
        }
    );
    let text = err.to_string();
    assert!(
        text.contains("float32") && text.contains("float64"),
        "{text}"
    );
    assert!(
        text.contains("Array<f32>") && text.contains("typed::<f64>"),
        "{text}"
    );
    // into spillway's error, like any other layer's
    let err: Error = Array::<bool>::try_from(&any).unwrap_err().into();
    assert!(matches!(
        err,
        Error::Array(ArrayError::DtypeMismatch { .. })
    ));
    // every dtype round-trips
    for dtype in DType::ALL {
        let any = AnyArray::from(spillway::zeros::<f64>([2], 2)).astype(dtype);
        let ok = match dtype {
            DType::Float64 => Array::<f64>::try_from(&any).is_ok(),
            DType::Float32 => Array::<f32>::try_from(&any).is_ok(),
            DType::Int64 => Array::<i64>::try_from(&any).is_ok(),
            DType::Int32 => Array::<i32>::try_from(&any).is_ok(),
            DType::Int16 => Array::<i16>::try_from(&any).is_ok(),
            DType::Int8 => Array::<i8>::try_from(&any).is_ok(),
            DType::UInt64 => Array::<u64>::try_from(&any).is_ok(),
            DType::UInt32 => Array::<u32>::try_from(&any).is_ok(),
            DType::UInt16 => Array::<u16>::try_from(&any).is_ok(),
            DType::UInt8 => Array::<u8>::try_from(&any).is_ok(),
            DType::Bool => Array::<bool>::try_from(&any).is_ok(),
            DType::Complex64 => Array::<spillway::dtype::Complex64>::try_from(&any).is_ok(),
            DType::Complex128 => Array::<spillway::dtype::Complex128>::try_from(&any).is_ok(),
        };
        assert!(ok, "{dtype}");
        assert_eq!(
            Array::<f64>::try_from(&any).is_ok(),
            dtype == DType::Float64,
            "{dtype}"
        );
    }
}
