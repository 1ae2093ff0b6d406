// The Kubernetes control plane the tests run (kube-apiserver, kube-controller-manager,
// kube-scheduler), built from k8s.io/kubernetes by test/servers/install.sh. Not part of rotad.
//go:build tools

package kube

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
