module github.com/keyport/keyport/bindings/go

go 1.24
